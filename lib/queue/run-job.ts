/**
 * Runs one decoded queue job with diffqp in this process: what a worker does between taking a job
 * and storing its result. Knows nothing of BullMQ. The signal is the job's cancellation; solve,
 * differentiate and projectionProblem check every number as they do for any caller.
 */
import { differentiate } from '../differentiate';
import { projectionProblem } from '../projections';
import { abortError, solve, Solution, SolveOptions } from '../solve';
import { JobResult, QueueJob } from './job';

function resultOf(kind: JobResult['kind'], s: Solution, t0: bigint): JobResult {
  const r: JobResult = {
    kind,
    status: s.status,
    x: s.x,
    y: s.y,
    z: s.z,
    objective: s.objective,
    primalResidual: s.primalResidual,
    dualResidual: s.dualResidual,
    dualityGap: s.dualityGap,
    iterations: s.iterations,
    setupTime: s.setupTime,
    solveTime: s.solveTime,
    solver: s.solver,
    rawStatus: s.rawStatus,
    rawStatusText: s.rawStatusText,
    hasDuals: s.hasDuals,
    workerSeconds: 0,
  };
  if (s.certificate !== undefined) r.certificate = s.certificate;
  r.workerSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return r;
}

/**
 * Solves (and differentiates) the job. An infeasible or time-limited problem resolves with its
 * status; a differentiate job whose solve did not succeed resolves without gradients (its
 * status says why), since there is nothing to differentiate. Bad data reject with the QpError.
 */
export async function runJob(job: QueueJob, signal?: AbortSignal): Promise<JobResult> {
  const t0 = process.hrtime.bigint();
  const options: SolveOptions = { ...(job.options ?? {}) };
  if (signal) options.signal = signal;
  switch (job.kind) {
    case 'solve':
      return resultOf('solve', await solve(job.problem, options), t0);
    case 'project':
      return resultOf('project', await solve(projectionProblem(job.set, job.point), options), t0);
    case 'differentiate': {
      const sol = await solve(job.problem, { ...options, differentiable: true });
      try {
        const r = resultOf('differentiate', sol, t0);
        if (sol.status === 'solved' || sol.status === 'solvedInaccurate') {
          if (signal?.aborted) throw abortError(signal);
          r.gradients = await differentiate(sol, job.seeds, job.differentiateOptions);
          r.workerSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
        }
        return r;
      } finally {
        sol.dispose();
      }
    }
  }
}
