/**
 * diffqp fetch-mm against a local HTTP server on 127.0.0.1: what it writes is byte for byte what
 * was served when that was right, nothing when it was not (a checksum that differs, an HTTP
 * error, broken gzip: ERR_QP_FETCH naming the file), and nothing is downloaded twice. The server
 * serves the whole set when it is here, else test/fixtures (the subsets below are fixtures).
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ErrorCode, QpError } from '../lib/errors';
import { fetchMm, qpsText } from '../lib/fetch-mm';
import { MM_FILES, MM_INDEX_CSV } from '../lib/mm-manifest';
import { readQpsSync } from '../lib/qps';
import { describeWholeSet, fixture, fixturesDir, mmSet } from './helpers';

const cli = path.resolve(__dirname, '..', 'lib', 'cli.js');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** What the server does for one path instead of serving the file. */
type Override = (res: http.ServerResponse) => void;

interface Server {
  url: string;
  requests: string[];
  overrides: Map<string, Override>;
  close: () => Promise<void>;
}

/**
 * Serves dir: /NAME.QPS.gz as stored, /sif/NAME.SIF as plain text with CRLF line endings (the
 * shape of the default public source).
 */
async function serve(dir: string): Promise<Server> {
  const requests: string[] = [];
  const overrides = new Map<string, Override>();
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    requests.push(url);
    const override = overrides.get(url);
    if (override) return override(res);
    const sif = /^\/sif\/([A-Z0-9_-]+)\.SIF$/.exec(url);
    const file = sif ? path.join(dir, `${sif[1]}.QPS.gz`) : path.join(dir, path.basename(url));
    if (!fs.existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    const bytes = fs.readFileSync(file);
    res.writeHead(200).end(sif ? Buffer.from(gunzipSync(bytes).toString('latin1').replace(/\n/g, '\r\n'), 'latin1') : bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, requests, overrides, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The CLI in a child process; async, since the server runs in this one. */
function diffqp(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d));
    child.stderr!.on('data', (d: Buffer) => (stderr += d));
    child.on('close', (status: number | null) => resolve({ status, stdout, stderr }));
  });
}

async function rejection(p: Promise<unknown>): Promise<QpError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof QpError, `not a QpError: ${String(e)}`);
    return e;
  }
  assert.fail('fetchMm did not fail');
}

describe('fetch-mm', function () {
  this.timeout(120000);
  const source = mmSet ?? fixturesDir;
  let server: Server;
  let dir: string;
  before(async () => {
    server = await serve(source);
  });
  after(() => server.close());
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'diffqp-fetch-'));
    server.overrides.clear();
    server.requests.length = 0;
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('the manifest has the checksum of every fixture', () => {
    const sums = new Map(MM_FILES.map(([name, sum]) => [name, sum]));
    const fixtures = fs.readdirSync(fixturesDir).filter((f) => f.endsWith('.QPS.gz'));
    assert.equal(fixtures.length, 28);
    for (const f of fixtures)
      assert.equal(sha256(qpsText(fs.readFileSync(path.join(fixturesDir, f)))), sums.get(f.replace('.QPS.gz', '')), f);
    assert.equal(MM_FILES.length, 117);
  });

  it('--only: downloads those files byte for byte, writes index.csv, and downloads nothing the second time', async () => {
    const r = await diffqp('fetch-mm', '--dir', dir, '--base-url', server.url, '--only', 'HS21,QAFIRO,LOTSCHD');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(
      r.stdout
        .trim()
        .split('\n')
        .slice(0, 3)
        .map((l) => l.replace(/\d+ bytes/, 'N bytes')),
      ['HS21', 'QAFIRO', 'LOTSCHD'].map((n) => `${n}: downloaded, N bytes`),
    );
    for (const name of ['HS21', 'QAFIRO', 'LOTSCHD'])
      assert.ok(fs.readFileSync(path.join(dir, `${name}.QPS.gz`)).equals(fs.readFileSync(fixture(name))), name);
    assert.equal(fs.readFileSync(path.join(dir, 'index.csv'), 'utf8'), MM_INDEX_CSV);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['HS21.QPS.gz', 'index.csv', 'LOTSCHD.QPS.gz', 'QAFIRO.QPS.gz'].sort());
    assert.equal(server.requests.length, 3);

    const again = await diffqp('fetch-mm', '--dir', dir, '--base-url', server.url, '--only', 'hs21,QAFIRO,LOTSCHD');
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /^HS21: already there, checksum right$/m);
    assert.equal(server.requests.length, 3, 'nothing downloaded again');
  });

  it('plain text with CRLF line endings (the default source serves NAME.SIF): checked as QPS text, written gzipped', async () => {
    const report = await fetchMm({ dir, baseUrl: `${server.url}sif/`, namePattern: '{name}.SIF', only: ['HS35', 'TAME'] });
    assert.deepEqual(
      report.files.map((f) => [f.name, f.outcome]),
      [
        ['HS35', 'downloaded'],
        ['TAME', 'downloaded'],
      ],
    );
    assert.deepEqual(server.requests, ['/sif/HS35.SIF', '/sif/TAME.SIF']);
    for (const name of ['HS35', 'TAME']) {
      const written = fs.readFileSync(path.join(dir, `${name}.QPS.gz`));
      assert.ok(gunzipSync(written).equals(gunzipSync(fs.readFileSync(fixture(name)))), `${name}: the LF text, gzipped`);
      const a = readQpsSync(path.join(dir, `${name}.QPS.gz`));
      const b = readQpsSync(fixture(name));
      assert.deepEqual([a.q, a.l, a.u, a.lb, a.ub, a.A.values, a.P.values], [b.q, b.l, b.u, b.lb, b.ub, b.A.values, b.P.values], name);
    }
  });

  it('a file whose text differs from the manifest: ERR_QP_FETCH naming it, not written; the others are', async () => {
    const text = gunzipSync(fs.readFileSync(fixture('HS51'))).toString('latin1');
    const changed = text.replace(/(RHS\s+\S+\s+)(\S)/, (_m, head: string, d: string) => head + (d === '9' ? '8' : '9'));
    assert.notEqual(changed, text);
    server.overrides.set('/HS51.QPS.gz', (res) => res.writeHead(200).end(gzipSync(changed)));
    const r = await diffqp('fetch-mm', '--dir', dir, '--base-url', server.url, '--only', 'HS21,HS51,HS52');
    assert.equal(r.status, 1, r.stdout);
    assert.match(
      r.stderr,
      /HS51: the QPS text from http:\/\/127\.0\.0\.1:\d+\/HS51\.QPS\.gz does not match the manifest: sha256 [0-9a-f]{64}, expected [0-9a-f]{64} \(ERR_QP_FETCH\)/,
    );
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack');
    assert.deepEqual(fs.readdirSync(dir).sort(), ['HS21.QPS.gz', 'HS52.QPS.gz', 'index.csv'], 'HS51 not written, no temporary file left');

    const e = await rejection(fetchMm({ dir, baseUrl: server.url, only: ['HS51'] }));
    assert.equal(e.code, ErrorCode.FETCH);
    assert.equal(e.field, 'HS51');
    assert.equal(e.value, sha256(Buffer.from(changed, 'latin1')));
  });

  it('HTTP errors, a refused connection and broken gzip: ERR_QP_FETCH naming the file and the URL', async () => {
    server.overrides.set('/HS52.QPS.gz', (res) => res.writeHead(404, 'Not Found').end());
    server.overrides.set('/HS53.QPS.gz', (res) => res.writeHead(200).end(fs.readFileSync(fixture('HS53')).subarray(0, 60)));
    const e = await rejection(fetchMm({ dir, baseUrl: server.url, only: ['HS52', 'HS53', 'HS76'] }));
    assert.equal(e.code, ErrorCode.FETCH);
    assert.equal(e.field, 'HS52');
    assert.equal(e.value, `${server.url}HS52.QPS.gz`);
    assert.match(
      e.message,
      /2 of 3 files not fetched: HS52: HTTP 404 Not Found from http:\/\/127\.0\.0\.1:\d+\/HS52\.QPS\.gz; 1 more failed: HS53/,
    );
    assert.deepEqual(fs.readdirSync(dir).sort(), ['HS76.QPS.gz', 'index.csv']);
    const broken = await rejection(fetchMm({ dir, baseUrl: server.url, only: ['HS53'] }));
    assert.equal(broken.field, 'HS53');
    assert.match(broken.message, /HS53: http:\S+HS53\.QPS\.gz sent gzip data that does not decompress/);

    const closed = await serve(source);
    await closed.close();
    const refused = await rejection(fetchMm({ dir, baseUrl: closed.url, only: ['HS76', 'HS21'] }));
    assert.equal(refused.field, 'HS21', 'HS76 is there already: not fetched');
    assert.match(refused.message, /HS21: cannot download http:\/\/127\.0\.0\.1:\d+\/HS21\.QPS\.gz/);
  });

  it('a file in the folder with the wrong content is downloaded again', async () => {
    fs.writeFileSync(path.join(dir, 'HS21.QPS.gz'), gzipSync('NAME HS21\nENDATA\n'));
    const report = await fetchMm({ dir, baseUrl: server.url, only: ['HS21'] });
    assert.equal(report.files[0]!.outcome, 'downloaded');
    assert.ok(fs.readFileSync(path.join(dir, 'HS21.QPS.gz')).equals(fs.readFileSync(fixture('HS21'))));
  });

  it('bad options: a usage error (exit 2) or ERR_QP_INVALID_OPTION naming them', async () => {
    const unknown = await diffqp('fetch-mm', '--dir', dir, '--base-url', server.url, '--only', 'HS21,NOPE');
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /^diffqp fetch-mm: only names no problem of the set .*"NOPE"/);
    const noDir = spawnSync(process.execPath, [cli, 'fetch-mm'], { encoding: 'utf8' });
    assert.equal(noDir.status, 2);
    assert.match(noDir.stderr, /--dir is required/);
    for (const [options, field] of [
      [{ dir: '' }, 'dir'],
      [{ dir, baseUrl: 'ftp://example.org/' }, 'baseUrl'],
      [{ dir, baseUrl: 'not a url' }, 'baseUrl'],
      [{ dir, baseUrl: server.url, namePattern: 'x.gz' }, 'namePattern'],
    ] as const) {
      const e = await rejection(fetchMm(options));
      assert.equal(e.code, ErrorCode.INVALID_OPTION);
      assert.equal(e.field, field);
    }
    assert.equal(server.requests.length, 0);
  });
});

describeWholeSet('fetch-mm: the whole set', function (mmDir) {
  this.timeout(300000);

  it('the manifest names exactly the files of the set, with their checksums, and its index.csv', () => {
    const files = fs
      .readdirSync(mmDir)
      .filter((f) => f.endsWith('.QPS.gz'))
      .sort();
    assert.deepEqual(files, MM_FILES.map(([name]) => `${name}.QPS.gz`).sort());
    for (const [name, sum, bytes] of MM_FILES) {
      const text = qpsText(fs.readFileSync(path.join(mmDir, `${name}.QPS.gz`)));
      assert.equal(sha256(text), sum, name);
      assert.equal(text.length, bytes, name);
    }
    assert.equal(fs.readFileSync(path.join(mmDir, 'index.csv'), 'utf8'), MM_INDEX_CSV);
  });

  it('fetches all 117 files from a local server, byte for byte', async () => {
    const server = await serve(mmDir);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'diffqp-fetch-all-'));
    try {
      const report = await fetchMm({ dir, baseUrl: server.url });
      assert.equal(report.files.filter((f) => f.outcome === 'downloaded').length, 117);
      for (const f of fs.readdirSync(mmDir)) {
        if (f.endsWith('.QPS.gz') || f === 'index.csv')
          assert.ok(fs.readFileSync(path.join(dir, f)).equals(fs.readFileSync(path.join(mmDir, f))), f);
      }
    } finally {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
