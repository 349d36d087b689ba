/**
 * At most one solve in flight per serialised solver (Ipopt: its native code holds a
 * process-wide lock, because MUMPS keeps global state). The others wait here, in JS, instead of
 * on a libuv thread blocked on that lock: with the threadpool's 4 threads taken by waiting
 * solves, nothing else (fs, other solves) would run until the queue drained.
 *
 * A waiting entry can leave early: an abort of its signal rejects it, and its deadline (the
 * time limit, counted from the call) resolves it with `expired()`. The lane is handed to the
 * next entry only when the native work has ended, not when its caller stopped waiting for it.
 * One queue per JS thread: solves from worker_threads still meet at the native lock.
 */

interface Lane {
  running: boolean;
  /** Start functions of the waiting entries, first come first served. */
  waiting: Array<() => void>;
}

const lanes = new Map<string, Lane>();

/** Longest delay setTimeout takes; a longer deadline is no deadline in practice. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface QueueOptions<T> {
  /** Aborting it while waiting rejects with `aborted()`. */
  signal?: AbortSignal | undefined;
  aborted: () => Error;
  /** performance.now() milliseconds; reached while waiting, the entry resolves with `expired()`. */
  deadline?: number | undefined;
  expired: () => T;
}

function laneOf(key: string): Lane {
  let lane = lanes.get(key);
  if (!lane) {
    lane = { running: false, waiting: [] };
    lanes.set(key, lane);
  }
  return lane;
}

async function runThenHandOver<T>(lane: Lane, task: () => Promise<T>): Promise<T> {
  try {
    return await task();
  } finally {
    const next = lane.waiting.shift();
    if (next) next();
    else lane.running = false;
  }
}

/** Runs `task` once no other task queued under `key` is running. */
export function runSerialised<T>(key: string, task: () => Promise<T>, options: QueueOptions<T>): Promise<T> {
  const lane = laneOf(key);
  if (!lane.running) {
    lane.running = true;
    return runThenHandOver(lane, task);
  }
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const leave = () => {
      const k = lane.waiting.indexOf(start);
      if (k >= 0) lane.waiting.splice(k, 1);
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    };
    const start = () => {
      leave();
      runThenHandOver(lane, task).then(resolve, reject);
    };
    const onAbort = () => {
      leave();
      reject(options.aborted());
    };
    lane.waiting.push(start);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.deadline !== undefined) {
      const delay = Math.max(0, options.deadline - performance.now());
      if (delay <= MAX_TIMER_MS) {
        timer = setTimeout(() => {
          leave();
          try {
            resolve(options.expired());
          } catch (e) {
            reject(e);
          }
        }, delay);
      }
    }
  });
}

/** How many entries wait under `key` (not counting the one running); for tests. */
export function waitingCount(key: string): number {
  return lanes.get(key)?.waiting.length ?? 0;
}
