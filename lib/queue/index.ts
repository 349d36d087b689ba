/**
 * The diffqp job queue on BullMQ (docs/QUEUE.md): the job format, a worker, a producer. BullMQ and
 * ioredis are optional peers, loaded only when a worker or producer is made.
 */
export { FORMAT_VERSION, WirePayload, encodePayload, decodePayload, Tree, PayloadType } from './format';
export { QueueJob, QueueJobKind, JobSolveOptions, JobResult, encodeJob, decodeJob, encodeResult, decodeResult } from './job';
export { runJob } from './run-job';
export { RedisConnection } from './connection';
export { startWorker, QueueWorker, QueueWorkerOptions } from './worker';
export { QpQueue, QpQueueOptions, RunOptions } from './producer';
