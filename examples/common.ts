/**
 * What the examples share: their options, their result, a seeded generator and the clock.
 */
import { performance } from 'node:perf_hooks';

export interface ExampleOptions {
  /** The size CI runs (seconds), instead of the full experiment. */
  small: boolean;
  /** Where the SVG goes (created if missing). */
  out: string;
  seed: number;
  /** Where progress lines go (default console.log). */
  log: (line: string) => void;
}

export interface ExampleResult {
  /** The quantity the example drives down, per epoch / step (index 0: before training). */
  losses: number[];
  initialLoss: number;
  finalLoss: number;
  /** The SVG files written. */
  svgs: string[];
  /** Other numbers the example reports (accuracy, times, …). */
  metrics: Record<string, number>;
}

/** mulberry32: a small seeded generator, so every run of an example sees the same data. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw (Box–Muller). */
export function normal(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** In-place Fisher–Yates shuffle. */
export function shuffle<T>(items: T[], r: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

export const seconds = (t0: number) => (performance.now() - t0) / 1000;
export const now = () => performance.now();
