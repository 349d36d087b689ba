/**
 * A BullMQ worker that runs diffqp jobs (lib/queue/job.ts) and stores their results back through
 * BullMQ (`diffqp worker`, or startWorker in-process). docs/QUEUE.md.
 *
 * - A job that cannot run (a malformed payload, bad data: a QpError) fails at once with
 *   "ERR_QP_…: message" as its failedReason and is not retried; the worker goes on.
 * - An infeasible or time-limited problem is a result, with its status.
 * - A producer's cancellation arrives as a custom queue event; the worker aborts that job's solve.
 * - close() is graceful: it takes no new job and waits for the current ones to finish.
 * - A worker that dies holding a job loses its lock; after lockDuration another worker's stalled
 *   check puts the job back in the queue and it runs again (maxStalledCount times at most).
 */
import * as os from 'node:os';
import { ErrorCode, QpError } from '../errors';
import { bullmq, CANCEL_EVENT } from './bullmq';
import { connectionOptions, RedisConnection } from './connection';
import { decodeJob, encodeResult } from './job';
import { runJob } from './run-job';

/** How long a worker remembers the cancellation of a job it did not hold. */
const CANCEL_MEMORY_MS = 10 * 60_000;

export interface QueueWorkerOptions {
  /** Where Redis is: a redis:// URL or { host, port }. */
  redis: RedisConnection;
  /** The queue's name (the same as the producer's). */
  queue: string;
  /** Jobs this worker runs at once (default 1; each solve runs on the libuv threadpool). */
  concurrency?: number;
  /** BullMQ's key prefix (default "bull"). */
  prefix?: string;
  /** Milliseconds a job's lock lasts without renewal (default 30000): how long a dead worker's job waits before another takes it. */
  lockDuration?: number;
  /** Milliseconds between stalled-job checks (default 30000). */
  stalledInterval?: number;
  /** How often a job may stall (its worker die) and still be retried (default 1). */
  maxStalledCount?: number;
  /** The worker's name, stored on the jobs it takes (default host:pid). */
  name?: string;
}

export interface QueueWorker {
  readonly name: string;
  /** Jobs completed and failed by this worker so far. */
  readonly completed: number;
  readonly failed: number;
  /** Resolves once the worker is connected and taking jobs. */
  waitUntilReady(): Promise<void>;
  /** Takes no new job, waits for the current ones, then disconnects. */
  close(): Promise<void>;
}

/** The failedReason of a job: the QpError's code first, so the producer can rebuild it. */
export function failureMessage(e: unknown): string {
  if (e instanceof QpError) return `${e.code}: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}

export async function startWorker(options: QueueWorkerOptions): Promise<QueueWorker> {
  const { Worker, QueueEvents, UnrecoverableError } = bullmq();
  const connection = connectionOptions(options.redis);
  const name = options.name ?? `${os.hostname()}:${process.pid}`;
  const base = options.prefix === undefined ? { connection } : { connection, prefix: options.prefix };
  // Cancellations of jobs this worker did not hold yet (it may be taking one right now): checked when a job starts.
  const cancelled = new Map<string, number>();
  let completed = 0;
  let failed = 0;
  const worker = new Worker(
    options.queue,
    async (job, _token, signal) => {
      try {
        if (cancelled.has(job.id!)) throw new QpError(ErrorCode.ABORTED, `job ${job.id} was cancelled before it started`);
        return encodeResult(await runJob(decodeJob(job.data), signal));
      } catch (e) {
        // diffqp's errors are properties of the job, not of this attempt: retrying cannot help.
        if (e instanceof QpError) throw new UnrecoverableError(failureMessage(e));
        throw e;
      }
    },
    {
      ...base,
      name,
      concurrency: options.concurrency ?? 1,
      ...(options.lockDuration !== undefined ? { lockDuration: options.lockDuration } : {}),
      ...(options.stalledInterval !== undefined ? { stalledInterval: options.stalledInterval } : {}),
      ...(options.maxStalledCount !== undefined ? { maxStalledCount: options.maxStalledCount } : {}),
    },
  );
  worker.on('completed', () => completed++);
  worker.on('failed', () => failed++);
  // Connection errors are retried by ioredis; without a listener they would be thrown as 'error' events.
  worker.on('error', () => {});
  const events = new QueueEvents(options.queue, base);
  events.on('error', () => {});
  events.on(
    CANCEL_EVENT as 'error',
    ((args: { jobId?: string }) => {
      if (typeof args?.jobId !== 'string') return;
      if (worker.cancelJob(args.jobId, 'cancelled by the producer')) return;
      const now = Date.now();
      cancelled.set(args.jobId, now);
      for (const [id, t] of cancelled) if (now - t > CANCEL_MEMORY_MS) cancelled.delete(id);
    }) as never,
  );
  return {
    name,
    get completed() {
      return completed;
    },
    get failed() {
      return failed;
    },
    async waitUntilReady() {
      await Promise.all([worker.waitUntilReady(), events.waitUntilReady()]);
    },
    async close() {
      await worker.close();
      await events.close();
    },
  };
}
