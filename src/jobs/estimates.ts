import type { Job, JobKind } from './job.js';

/** Run time assumed before a template has run on a server: a picture, an animation. */
const DEFAULT_RUN_MS: Readonly<Record<JobKind, number>> = { imagine: 20_000, img2img: 20_000, inpaint: 20_000, upscale: 20_000, img2vid: 90_000 };
/** Recent runs averaged per template and server. */
const KEPT_RUNS = 20;
/** A shown estimate moves only when the new one differs by more than this share of the time left (or 10 s). */
const MOVE_SHARE = 0.15;
const MOVE_MIN_MS = 10_000;

export interface Estimate {
  /** When it should start running (undefined once it runs). */
  startAt?: number;
  finishAt: number;
}

export interface Run {
  template: string;
  server: string | undefined;
  ms: number;
}

/**
 * Start and finish times from measured run times per template and server (read from the ledger at start, so they
 * survive restarts, and added to as jobs finish), with a default per kind before the first run. Estimates are
 * kept steady: a member sees a new time only when it moves by more than a threshold, not on every step.
 */
export class Estimator {
  private readonly runs = new Map<string, number[]>();
  private readonly shown = new Map<string, Estimate>();

  constructor(history: readonly Run[], private readonly now: () => number) {
    for (const run of history) this.record(run);
  }

  record(run: Run): void {
    if (run.ms <= 0) return;
    const key = `${run.template}@${run.server ?? ''}`;
    const list = [...(this.runs.get(key) ?? []), run.ms].slice(-KEPT_RUNS);
    this.runs.set(key, list);
  }

  /** How long a job of this template takes: on its server if known, else on any server, else the kind's default. */
  runMs(job: Pick<Job, 'template' | 'kind' | 'backend'>): number {
    const own = this.runs.get(`${job.template}@${job.backend ?? ''}`);
    const any = own ?? [...this.runs.entries()].filter(([key]) => key.startsWith(`${job.template}@`)).flatMap(([, list]) => list);
    return any.length > 0 ? median(any) : DEFAULT_RUN_MS[job.kind];
  }

  /**
   * A job's estimate. `inside` are the jobs in ComfyUI now (running first), `ahead` the waiting jobs before this
   * one, `servers` how many servers share the work.
   */
  estimate(job: Job, inside: readonly Job[], ahead: readonly Job[], servers: number): Estimate {
    const now = this.now();
    const own = this.runMs(job);
    if (job.state === 'running' || job.state === 'delivering') {
      return this.steady(job.id, { finishAt: Math.max(now, (job.startedAt ?? now) + own) });
    }
    const left = (other: Job): number => {
      if (other.state === 'delivering') return 0;
      return other.state === 'running' ? Math.max(0, (other.startedAt ?? now) + this.runMs(other) - now) : this.runMs(other);
    };
    const before = [...inside.filter((other) => other.id !== job.id && (job.state === 'waiting' || (other.submittedAt ?? 0) <= (job.submittedAt ?? 0))), ...ahead];
    const startAt = now + before.reduce((sum, other) => sum + left(other), 0) / Math.max(1, servers);
    return this.steady(job.id, { startAt, finishAt: startAt + own });
  }

  /** The job is over: its shown estimate is forgotten. */
  forget(jobId: string): void {
    this.shown.delete(jobId);
  }

  private steady(jobId: string, fresh: Estimate): Estimate {
    const last = this.shown.get(jobId);
    const left = Math.max(0, fresh.finishAt - this.now());
    const moved = !last || (last.startAt === undefined) !== (fresh.startAt === undefined)
      || Math.abs(fresh.finishAt - last.finishAt) > Math.max(MOVE_MIN_MS, left * MOVE_SHARE);
    if (!moved) return last;
    this.shown.set(jobId, fresh);
    return fresh;
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}
