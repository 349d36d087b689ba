/**
 * The producer side of the diffqp job queue: add a job (lib/queue/job.ts) to a BullMQ queue and
 * await its result, one job or a batch, with a timeout and cancellation. docs/QUEUE.md.
 *
 * A job that failed on its worker rejects with a QpError of the code the worker reported (its
 * failedReason starts with it); a failure outside diffqp is ERR_QP_QUEUE. Cancelling (the signal,
 * or the timeout running out) removes a job that is still waiting, asks the worker that runs it
 * to abort its solve, and rejects at once with an AbortError (ERR_QP_ABORTED).
 */
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

export class QpQueue {
  readonly name: string;
  private readonly queue: BullMQ.Queue;
  private readonly events: BullMQ.QueueEvents;
  private readonly publisher: BullMQ.QueueEventsProducer;
  private readonly removals = new Set<Promise<unknown>>();

  constructor(options: QpQueueOptions) {
    const { Queue, QueueEvents, QueueEventsProducer } = bullmq();
    if (typeof options?.queue !== 'string' || options.queue === '') throw optionError('queue', 'must be a non-empty string', options?.queue);
    const connection = connectionOptions(options.redis);
    const base = options.prefix === undefined ? { connection } : { connection, prefix: options.prefix };
    this.name = options.queue;
    this.queue = new Queue(options.queue, base);
    this.events = new QueueEvents(options.queue, base);
    this.events.setMaxListeners(0);  // two listeners per awaited job (and one on the queue)
    this.queue.setMaxListeners(0);
    this.publisher = new QueueEventsProducer(options.queue, base);
    // ioredis reconnects by itself; unhandled 'error' events would throw.
    for (const e of [this.queue, this.events, this.publisher]) (e as unknown as { on(ev: string, f: () => void): void }).on('error', () => {});
  }

  /** Resolves once the connections are up (useful before timing anything). */
  async waitUntilReady(): Promise<void> {
    await Promise.all([this.queue.waitUntilReady(), this.events.waitUntilReady(), this.publisher.waitUntilReady()]);
  }

  private static jobData(job: QueueJob, o: RunOptions): ReturnType<typeof encodeJob> {
    if (o.timeLimit === undefined) return encodeJob(job);
    if (typeof o.timeLimit !== 'number' || !(o.timeLimit > 0)) throw optionError('timeLimit', 'must be a number of seconds > 0', o.timeLimit);
    return encodeJob({ ...job, options: { ...(job.options ?? {}), timeLimit: o.timeLimit } } as QueueJob);
  }

  private static jobOptions(o: RunOptions): BullMQ.JobsOptions {
    const opts: BullMQ.JobsOptions = { attempts: 1 };
    if (o.priority !== undefined) opts.priority = o.priority;
    return opts;
  }

  private static check(o: RunOptions): void {
    if (typeof o !== 'object' || o === null) throw optionError('', 'must be an object', o);
    if (o.timeout !== undefined && (typeof o.timeout !== 'number' || !(o.timeout > 0))) throw optionError('timeout', 'must be a number of milliseconds > 0', o.timeout);
    if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw optionError('signal', 'must be an AbortSignal', o.signal);
  }

  /** Adds the job; returns its id. The payload is encoded here: a bad matrix or kind throws before anything is sent. */
  async add(job: QueueJob, options: RunOptions = {}): Promise<string> {
    QpQueue.check(options);
    const j = await this.queue.add(job.kind, QpQueue.jobData(job, options), QpQueue.jobOptions(options));
    return j.id!;
  }

  /** Awaits the result of a job added before (by this producer or another). */
  async result(id: string, options: Pick<RunOptions, 'signal' | 'timeout' | 'keep'> = {}): Promise<JobResult> {
    QpQueue.check(options);
    const job = await this.queue.getJob(id);
    if (!job) throw new QpError(ErrorCode.QUEUE, `job ${id} is not in queue ${this.name} (removed, or never added)`, { field: 'id', value: id });
    return this.await(job, options);
  }

  /** Adds the job and awaits its result. */
  async run(job: QueueJob, options: RunOptions = {}): Promise<JobResult> {
    QpQueue.check(options);
    if (options.signal?.aborted) throw abortError('the signal was aborted before the job was added');
    const j = await this.queue.add(job.kind, QpQueue.jobData(job, options), QpQueue.jobOptions(options));
    return this.await(j, options);
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
    const added = await this.queue.addBulk(data);
    const controller = new AbortController();
    setMaxListeners(0, controller.signal);  // one listener per job of the batch
    const onAbort = () => controller.abort(options.signal!.reason);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = options.timeout === undefined ? undefined : setTimeout(() => controller.abort(timeoutError(options.timeout!, 'the batch')), options.timeout);
    try {
      return await Promise.all(added.map((j, k) => this.await(j, { signal: controller.signal, keep: options.keep ?? false }).catch((e) => {
        controller.abort(renamed(e, k));  // cancel the rest
        throw renamed(e, k);
      })));
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

  private await(job: BullMQ.Job, o: Pick<RunOptions, 'signal' | 'timeout' | 'keep'>): Promise<JobResult> {
    const id = job.id!;
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
        clearTimeout(timer);
        o.signal?.removeEventListener('abort', onAbort);
        f();
      };
      const cancelWith = (e: QpError) => finish(() => {
        this.track(this.cancel(id).catch(() => {}));
        reject(e);
      });
      if (o.signal?.aborted) {
        onAbort();
        return;
      }
      o.signal?.addEventListener('abort', onAbort, { once: true });
      if (o.timeout !== undefined) timer = setTimeout(() => cancelWith(timeoutError(o.timeout!, `job ${id}`)), o.timeout);
      job.waitUntilFinished(this.events).then(
        (value: unknown) => finish(() => {
          try {
            resolve(decodeResult(value));
          } catch (e) {
            reject(e);
          }
          if (!o.keep) this.track(job.remove().catch(() => {}));
        }),
        (e: Error) => finish(() => reject(jobFailure(e.message, id))),
      );
    });
  }

  private track(p: Promise<unknown>): void {
    this.removals.add(p);
    void p.finally(() => this.removals.delete(p));
  }

  /** Waits for pending removals and cancellations, then disconnects. */
  async close(): Promise<void> {
    await Promise.all([...this.removals]);
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
