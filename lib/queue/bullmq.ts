/**
 * The one place that loads BullMQ (an optional peer dependency, with ioredis): only lib/queue/*
 * uses it, and only when a worker or producer is made, so `require('diffqp')` never needs it.
 */
import type * as BullMQ from 'bullmq';
import { ErrorCode, QpError } from '../errors';

export type { BullMQ };

let loaded: typeof BullMQ | undefined;

export function bullmq(): typeof BullMQ {
  if (loaded) return loaded;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require('bullmq') as typeof BullMQ;
    require.resolve('ioredis'); // BullMQ 6 takes its Redis client from this optional peer
  } catch (e) {
    loaded = undefined;
    throw new QpError(
      ErrorCode.QUEUE,
      `the diffqp job queue needs BullMQ and ioredis: npm install bullmq ioredis (${(e as Error).message.split('\n')[0]})`,
    );
  }
  return loaded;
}

/** The custom QueueEvents event a producer publishes to cancel a job; every worker listens for it. */
export const CANCEL_EVENT = 'diffqp:cancel';
