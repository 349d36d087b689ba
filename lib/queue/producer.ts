/**
 * The producer side of the diffqp job queue: add a job (lib/queue/job.ts) to a BullMQ queue and
 * await its result, one job or a batch, with a timeout and cancellation. docs/QUEUE.md.
 *
 * A job that failed on its worker rejects with a QpError of the code the worker reported (its
 * failedReason starts with it); a failure outside diffqp is ERR_QP_QUEUE. Cancelling (the signal,
 * or the timeout running out) removes a job that is still waiting, asks the worker that runs it
 * to abort its solve, and rejects at once with an AbortError (ERR_QP_ABORTED).
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { ErrorCode, ErrorCodeValue, QpError } from '../errors';
import { bullmq, BullMQ, CANCEL_EVENT } from './bullmq';
import { connectionOptions, RedisConnection } from './connection';
import { decodeResult, encodeJob, JobResult, QueueJob } from './job';

export interface QpQueueOptions {
  /** Where Redis is: a redis:// URL or { host, port }. */
  redis: RedisConnection;
  /** The queue's name (the workers' --queue). */
  queue: string;
  /** BullMQ's key prefix (default "bull"). */
  prefix?: string;
}

export interface RunOptions {
  /** Seconds: becomes the job's solve option timeLimit (the solver stops there; status 'timeLimit'). */
  timeLimit?: number;
  /** Cancels the job: rejects at once with an AbortError; a waiting job is removed, a running one aborted. */
  signal?: AbortSignal;
  /** Milliseconds to wait for the result (queueing included); then the job is cancelled and the call rejects with ERR_QP_ABORTED. */
  timeout?: number;
  /** BullMQ priority (1 is the highest; default none: first in, first out). */
  priority?: number;
  /** Keep the finished job in Redis (default false: removed once its result has been read). */
  keep?: boolean;
}

const codes = new Set<string>(Object.values(ErrorCode));

/** The error a failed job stands for: its QpError when the worker reported one. */
function jobFailure(reason: string, id: string): QpError {
  const m = /^(ERR_QP_[A-Z_]+): ([\s\S]*)$/.exec(reason);
  if (m && codes.has(m[1]!)) return new QpError(m[1] as ErrorCodeValue, m[2]!, { field: `job ${id}` });
  return new QpError(ErrorCode.QUEUE, `job ${id} failed in the queue: ${reason}`, { field: `job ${id}`, value: reason });
}

function optionError(field: string, what: string, value: unknown): QpError {
  return new QpError(ErrorCode.INVALID_OPTION, `options.${field}: ${what}`, { field: `options.${field}`, value });
}

interface Waiter {
  settle(outcome: { value: unknown } | { reason: string }): void;
}

/** An error of the connection (Redis went away), after which an add may be retried. */
function transient(e: unknown): boolean {
  const m = e instanceof Error ? `${e.name} ${e.message}` : String(e);
  return /AbortError|Connection is closed|ECONNREFUSED|ECONNRESET|EPIPE|connection close|Stream isn't writeable|LOADING/i.test(m);
}

/** How long an add keeps retrying through a lost connection before it gives up (ERR_QP_QUEUE). */
const ADD_RETRY_MS = 30_000;
/** Every this many milliseconds, and after a connection error, the producer asks Redis for the jobs it awaits. */
const SWEEP_MS = 5_000;

export class QpQueue {
  readonly name: string;
  private readonly queue: BullMQ.Queue;
  private readonly events: BullMQ.QueueEvents;
  private readonly publisher: BullMQ.QueueEventsProducer;
  private readonly background = new Set<Promise<unknown>>();
  private readonly waiters = new Map<string, Waiter>();
  private readonly sweeper: NodeJS.Timeout;
  private lostConnection = false;

  constructor(options: QpQueueOptions) {
    const { Queue, QueueEvents, QueueEventsProducer } = bullmq();
    if (typeof options?.queue !== 'string' || options.queue === '')
      throw optionError('queue', 'must be a non-empty string', options?.queue);
    const connection = connectionOptions(options.redis);
    const base = options.prefix === undefined ? { connection } : { connection, prefix: options.prefix };
    this.name = options.queue;
    this.queue = new Queue(options.queue, base);
    this.events = new QueueEvents(options.queue, base);
    this.publisher = new QueueEventsProducer(options.queue, base);
    // ioredis reconnects by itself; an 'error' means events may have been missed meanwhile.
    for (const e of [this.queue, this.events, this.publisher]) {
      (e as unknown as { on(ev: string, f: () => void): void }).on('error', () => {
        this.lostConnection = true;
      });
    }
    this.events.on('completed', ({ jobId, returnvalue }) => this.waiters.get(jobId)?.settle({ value: returnvalue }));
    this.events.on('failed', ({ jobId, failedReason }) => this.waiters.get(jobId)?.settle({ reason: failedReason }));
    // One event can be lost (a Redis restart between a job's end and the read of its event): look it up then, and now and then.
    let ticks = 0;
    this.sweeper = setInterval(() => {
      ticks++;
      if (this.waiters.size > 0 && (this.lostConnection || ticks % (SWEEP_MS / 500) === 0)) this.track(this.sweep());
    }, 500);
    this.sweeper.unref();
  }

  /** Resolves once the connections are up (useful before timing anything). */
  async waitUntilReady(): Promise<void> {
    await Promise.all([this.queue.waitUntilReady(), this.events.waitUntilReady(), this.publisher.waitUntilReady()]);
  }

  private async sweep(): Promise<void> {
    this.lostConnection = false;
    try {
      for (const id of [...this.waiters.keys()]) await this.sweepOne(id);
    } catch {
      this.lostConnection = true; // still down: again at the next tick
    }
  }

  private static jobData(job: QueueJob, o: RunOptions): ReturnType<typeof encodeJob> {
    if (o.timeLimit === undefined) return encodeJob(job);
    if (typeof o.timeLimit !== 'number' || !(o.timeLimit > 0))
      throw optionError('timeLimit', 'must be a number of seconds > 0', o.timeLimit);
    return encodeJob({ ...job, options: { ...(job.options ?? {}), timeLimit: o.timeLimit } } as QueueJob);
  }

  /** Each job gets its id here, so that an add retried after a lost connection cannot add it twice. */
  private static jobOptions(o: RunOptions): BullMQ.JobsOptions {
    const opts: BullMQ.JobsOptions = { attempts: 1, jobId: randomUUID() };
    if (o.priority !== undefined) opts.priority = o.priority;
    return opts;
  }

  private static check(o: RunOptions): void {
    if (typeof o !== 'object' || o === null) throw optionError('', 'must be an object', o);
    if (o.timeout !== undefined && (typeof o.timeout !== 'number' || !(o.timeout > 0)))
      throw optionError('timeout', 'must be a number of milliseconds > 0', o.timeout);
    if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw optionError('signal', 'must be an AbortSignal', o.signal);
  }

  /** Runs an add, again while Redis is unreachable (the same job ids: BullMQ keeps the first). */
  private async retried<T>(add: () => Promise<T>): Promise<T> {
    const t0 = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        return await add();
      } catch (e) {
        if (!transient(e) || Date.now() - t0 > ADD_RETRY_MS) {
          throw new QpError(ErrorCode.QUEUE, `could not add to queue ${this.name}: ${(e as Error).message}`, {
            field: 'queue',
            value: this.name,
          });
        }
        await new Promise((r) => setTimeout(r, Math.min(100 * attempt, 1000)));
      }
    }
  }

  /** Adds the job; returns its id. The payload is encoded here: a bad matrix or kind throws before anything is sent. */
  async add(job: QueueJob, options: RunOptions = {}): Promise<string> {
    QpQueue.check(options);
    const data = QpQueue.jobData(job, options);
    const opts = QpQueue.jobOptions(options);
    await this.retried(() => this.queue.add(job.kind, data, opts));
    return opts.jobId!;
  }

  /** Awaits the result of a job added before (by this producer or another). */
  async result(id: string, options: Pick<RunOptions, 'signal' | 'timeout' | 'keep'> = {}): Promise<JobResult> {
    QpQueue.check(options);
    return this.await(id, options);
  }

  /** Adds the job and awaits its result. */
  async run(job: QueueJob, options: RunOptions = {}): Promise<JobResult> {
    QpQueue.check(options);
    if (options.signal?.aborted) throw abortError('the signal was aborted before the job was added');
    return this.await(await this.add(job, options), options);
  }

  /**
   * Adds all the jobs in one round trip and awaits their results, in order. The first failure
   * rejects (its message names jobs[k]); the other jobs run on. The signal and timeout cover the batch.
   */
  async runBatch(jobs: readonly QueueJob[], options: RunOptions = {}): Promise<JobResult[]> {
    QpQueue.check(options);
    if (!Array.isArray(jobs)) throw optionError('jobs', 'must be an array of jobs', jobs);
    if (options.signal?.aborted) throw abortError('the signal was aborted before the jobs were added');
    const data = jobs.map((job, k) => {
      try {
        return { name: job.kind, data: QpQueue.jobData(job, options), opts: QpQueue.jobOptions(options) };
      } catch (e) {
        throw renamed(e, k);
      }
    });
    await this.retried(() => this.queue.addBulk(data));
    const controller = new AbortController();
    setMaxListeners(0, controller.signal); // one listener per job of the batch
    const onAbort = () => controller.abort(options.signal!.reason);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const timer =
      options.timeout === undefined
        ? undefined
        : setTimeout(() => controller.abort(timeoutError(options.timeout!, 'the batch')), options.timeout);
    try {
      return await Promise.all(
        data.map((d, k) =>
          this.await(d.opts.jobId!, { signal: controller.signal, keep: options.keep ?? false }).catch((e) => {
            controller.abort(renamed(e, k)); // cancel the rest
            throw renamed(e, k);
          }),
        ),
      );
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Cancels a job: removes it if it is still waiting, else asks its worker to abort the solve. */
  async cancel(id: string): Promise<void> {
    try {
      await this.queue.remove(id);
    } catch {
      // Locked by a worker: only the worker can stop it.
    }
    await this.publisher.publishEvent({ eventName: CANCEL_EVENT, jobId: id }, 10000);
  }

  private await(id: string, o: Pick<RunOptions, 'signal' | 'timeout' | 'keep'>): Promise<JobResult> {
    return new Promise<JobResult>((resolve, reject) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        const r = o.signal!.reason;
        cancelWith(r instanceof QpError ? r : abortError(`job ${id} was cancelled`));
      };
      const finish = (f: () => void) => {
        if (settled) return;
        settled = true;
        this.waiters.delete(id);
        clearTimeout(timer);
        o.signal?.removeEventListener('abort', onAbort);
        f();
      };
      const cancelWith = (e: QpError) =>
        finish(() => {
          this.track(this.cancel(id).catch(() => {}));
          reject(e);
        });
      if (o.signal?.aborted) {
        onAbort();
        return;
      }
      o.signal?.addEventListener('abort', onAbort, { once: true });
      if (o.timeout !== undefined) timer = setTimeout(() => cancelWith(timeoutError(o.timeout!, `job ${id}`)), o.timeout);
      this.waiters.set(id, {
        settle: (outcome) =>
          finish(() => {
            if ('reason' in outcome) {
              reject(jobFailure(String(outcome.reason), id));
              return;
            }
            try {
              resolve(decodeResult(outcome.value));
            } catch (e) {
              reject(e);
            }
            if (!o.keep) this.track(this.queue.remove(id).catch(() => {}));
          }),
      });
      // The job may have ended before the listener was in place: ask once the events are being read.
      this.track(
        this.events
          .waitUntilReady()
          .then(() => this.sweepOne(id))
          .catch(() => {
            this.lostConnection = true;
          }),
      );
    });
  }

  private async sweepOne(id: string): Promise<void> {
    const w = this.waiters.get(id);
    if (!w) return;
    const state = await this.queue.getJobState(id);
    if (state === 'completed' || state === 'failed') {
      const job = await this.queue.getJob(id);
      if (job) w.settle(state === 'completed' ? { value: job.returnvalue } : { reason: job.failedReason });
    } else if (state === 'unknown') {
      w.settle({ reason: `ERR_QP_QUEUE: job ${id} is not in queue ${this.name} (removed, or never added)` });
    }
  }

  private track(p: Promise<unknown>): void {
    this.background.add(p);
    void p.finally(() => this.background.delete(p));
  }

  /** Waits for pending removals and cancellations, then disconnects. */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.background]);
    await this.publisher.close();
    await this.events.close();
    await this.queue.close();
  }
}

function abortError(message: string): QpError {
  return new QpError(ErrorCode.ABORTED, message);
}

function timeoutError(ms: number, what: string): QpError {
  return new QpError(ErrorCode.ABORTED, `${what} timed out: no result after ${ms} ms (cancelled)`, { field: 'options.timeout', value: ms });
}

function renamed(e: unknown, k: number): unknown {
  if (!(e instanceof QpError) || e.message.startsWith('jobs[')) return e;
  const details: { field: string; index: number; value?: unknown } = { field: `jobs[${k}]${e.field ? `.${e.field}` : ''}`, index: k };
  if (e.value !== undefined) details.value = e.value;
  return new QpError(e.code, `jobs[${k}]: ${e.message}`, details);
}
