/**
 * A real redis-server for the queue tests and npm run bench:queue (Debian's package, installed by scripts/setup.sh): started
 * on 127.0.0.1 at a free port, stopped afterwards, restartable on the same port. Never a system
 * service, never a mock.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export function redisAvailable(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1');
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

export class RedisServer {
  private proc: ChildProcess | undefined;
  readonly dir: string;

  /** persistent: an append-only file in a temporary folder, so that a restart keeps the queue. */
  private constructor(
    readonly port: number,
    private readonly persistent: boolean,
  ) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'diffqp-redis-'));
  }

  static async start(options: { persistent?: boolean } = {}): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), options.persistent ?? false);
    await server.launch();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  private async launch(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--dir', this.dir];
    args.push(...(this.persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']));
    const proc = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'inherit'] });
    this.proc = proc;
    const deadline = Date.now() + 10_000;
    while (!(await canConnect(this.port))) {
      if (proc.exitCode !== null) throw new Error(`redis-server exited with status ${proc.exitCode} on port ${this.port}`);
      if (Date.now() > deadline) throw new Error(`redis-server did not listen on port ${this.port} within 10 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Stops the server (SIGTERM, then waits for its exit). */
  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    await exited;
  }

  /** Stops and starts it again on the same port (same data folder). */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  async dispose(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
