/**
 * Hand-written SVG for the examples: a line chart of learning curves and a drawing of a 2-D
 * triangle mesh. Plain strings, no plotting package; every number printed with 4 significant
 * digits so the files stay small.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Series {
  name: string;
  /** y per x = 0, 1, 2, … (e.g. per epoch or step). */
  values: readonly number[];
}

const colours = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];
const num = (v: number) => Number(v.toPrecision(4)).toString();
const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A line chart, y on a log scale when every value is positive and `logY` is true. */
export function lineChart(title: string, xLabel: string, yLabel: string, series: readonly Series[], logY = true): string {
  const W = 640,
    H = 400,
    left = 70,
    right = 20,
    top = 40,
    bottom = 50;
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  const log = logY && all.every((v) => v > 0);
  const f = (v: number) => (log ? Math.log10(v) : v);
  let lo = all.reduce((a, v) => Math.min(a, f(v)), Infinity),
    hi = all.reduce((a, v) => Math.max(a, f(v)), -Infinity);
  if (!(hi > lo)) {
    lo -= 1;
    hi += 1;
  }
  const xMax = Math.max(1, ...series.map((s) => s.values.length - 1));
  const X = (i: number) => left + ((W - left - right) * i) / xMax;
  const Y = (v: number) => top + ((H - top - bottom) * (hi - f(v))) / (hi - lo);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${escape(title)}</text>`);
  out.push(`<line x1="${left}" y1="${H - bottom}" x2="${W - right}" y2="${H - bottom}" stroke="black"/>`);
  out.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${H - bottom}" stroke="black"/>`);
  for (let k = 0; k <= 4; k++) {
    const fv = lo + ((hi - lo) * k) / 4;
    const v = log ? 10 ** fv : fv;
    const y = top + ((H - top - bottom) * (4 - k)) / 4;
    out.push(`<text x="${left - 6}" y="${num(y + 4)}" text-anchor="end">${num(v)}</text>`);
    out.push(`<line x1="${left}" y1="${num(y)}" x2="${W - right}" y2="${num(y)}" stroke="#ddd"/>`);
  }
  for (let k = 0; k <= 4; k++) {
    const i = (xMax * k) / 4;
    out.push(`<text x="${num(X(i))}" y="${H - bottom + 16}" text-anchor="middle">${num(i)}</text>`);
  }
  out.push(`<text x="${(left + W - right) / 2}" y="${H - 12}" text-anchor="middle">${escape(xLabel)}</text>`);
  out.push(
    `<text x="16" y="${(top + H - bottom) / 2}" text-anchor="middle" transform="rotate(-90 16 ${(top + H - bottom) / 2})">${escape(yLabel)}${log ? ' (log)' : ''}</text>`,
  );
  series.forEach((s, k) => {
    const c = colours[k % colours.length];
    const pts = s.values.map((v, i) => (Number.isFinite(v) ? `${num(X(i))},${num(Y(v))}` : '')).filter((p) => p !== '');
    out.push(`<polyline fill="none" stroke="${c}" stroke-width="1.5" points="${pts.join(' ')}"/>`);
    out.push(`<text x="${W - right - 6}" y="${top + 16 * (k + 1)}" text-anchor="end" fill="${c}">${escape(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

export interface MeshLayer {
  /** x, y of each vertex (2·nv numbers). */
  xy: ArrayLike<number>;
  colour: string;
  name: string;
}

/** Meshes drawn side by side (one panel each), every edge [i, j] of `edges` as one path. */
export function meshPanels(title: string, edges: ArrayLike<number>, panels: readonly MeshLayer[][], captions: readonly string[]): string {
  const S = 420,
    pad = 20;
  const W = panels.length * S,
    H = S + 60;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${escape(title)}</text>`);
  panels.forEach((layers, p) => {
    let x0 = Infinity,
      x1 = -Infinity,
      y0 = Infinity,
      y1 = -Infinity;
    for (const l of layers) {
      for (let i = 0; i + 1 < l.xy.length; i += 2) {
        x0 = Math.min(x0, l.xy[i]!);
        x1 = Math.max(x1, l.xy[i]!);
        y0 = Math.min(y0, l.xy[i + 1]!);
        y1 = Math.max(y1, l.xy[i + 1]!);
      }
    }
    const scale = (S - 2 * pad) / Math.max(x1 - x0, y1 - y0, 1e-12);
    const X = (v: number) => num(p * S + pad + (v - x0) * scale);
    const Y = (v: number) => num(40 + pad + (y1 - v) * scale);
    for (const l of layers) {
      const d: string[] = [];
      for (let e = 0; e + 1 < edges.length; e += 2) {
        const i = edges[e]!,
          j = edges[e + 1]!;
        d.push(`M${X(l.xy[2 * i]!)} ${Y(l.xy[2 * i + 1]!)}L${X(l.xy[2 * j]!)} ${Y(l.xy[2 * j + 1]!)}`);
      }
      out.push(`<path fill="none" stroke="${l.colour}" stroke-width="0.5" d="${d.join('')}"><title>${escape(l.name)}</title></path>`);
    }
    out.push(`<text x="${p * S + S / 2}" y="${H - 10}" text-anchor="middle">${escape(captions[p] ?? '')}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** Writes `svg` to out/name and returns the path. */
export function writeSvg(outDir: string, name: string, svg: string): string {
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, name);
  fs.writeFileSync(file, svg);
  return file;
}
