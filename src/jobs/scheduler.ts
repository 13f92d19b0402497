import { randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import PQueue from 'p-queue';
import { systemClock, type Clock } from './clock.js';
import { FairQueue } from './fair-queue.js';
import { FINAL_STATES, type Job, type JobKind, type JobOrigin, type JobProgress, type Requester } from './job.js';
import type { StoredInput } from './store.js';

/** Where jobs are made durable (the SQLite ledger in production). */
export interface JobLedger {
  insert(job: Job, input?: StoredInput): void;
  update(job: Job): void;
  /** True when the ledger already holds a job with this id (a finished one, say), so it cannot be reused. */
  has?(id: string): boolean;
}

/** Room for a job on a server that can run it; not now (every fitting server is full or down); or never. */
export type Reservation = { kind: 'reserved'; server: string } | { kind: 'busy' } | { kind: 'never'; error: Error };

export interface Submission {
  promptId: string;
  values: Record<string, string | number | boolean>;
  /** Why the backend dropped some of the job's outputs while accepting the rest (shown to the member). */
  dropped: string[];
}

/** What the scheduler needs from a backend (ComfyUI in production); no HTTP or Discord here. */
export interface JobRunner<Result> {
  /** Reserves room for the job on a backend that can run it. */
  reserve(job: Job): Reservation;
  /** Gives back the room of a job whose prompt left the backend. */
  release(job: Job): void;
  /** An id for the job's next prompt, chosen before sending so the ledger knows it even if we crash mid-send. */
  newPromptId(): string;
  /** Queues the job's workflow under `job.promptId`; resolves with the id the backend used and the values sent. */
  submit(job: Job): Promise<Submission>;
  /** Follows a submitted prompt to its end. */
  follow(job: Job, onProgress: (progress: JobProgress) => void): Promise<Result>;
  /** Picks up a prompt submitted before a restart, so `follow` can follow it. */
  resume(job: Job): void;
  /** Removes a prompt pending in the backend, or interrupts it when it runs; says which it did. */
  cancel(job: Job): Promise<'deleted' | 'interrupted' | 'gone'>;
  /** True for errors meaning "the backend is unreachable, try later" (the job is kept). */
  isUnavailable(error: unknown): boolean;
  /** Among those, errors the server itself reported (HTTP 5xx): counted, so a broken server fails the job. */
  isServerError(error: unknown): boolean;
  /** A restored waiting job kept the prompt id of a timed-out send: check the backend for it before sending again. */
  mayBeQueued(job: Job): void;
  /** True for errors after which the prompt may still have reached the backend (a timed-out send): keep its id. */
  mayHaveArrived(error: unknown): boolean;
  /** True for errors meaning "the backend forgot this prompt" (a restart): submit again, once. */
  isLost(error: unknown): boolean;
}

export interface SchedulerOptions {
  ledger?: JobLedger;
  /** Submissions that fail with a server error (5xx) before the job fails instead of waiting. */
  maxSubmitFailures?: number;
  submitsPerMinute: number;
  maxWaitingPerUser: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  now?: () => number;
  /** Timers and randomness for retries (the system's by default); `now` above still wins for timestamps. */
  clock?: Clock;
  /** Where job ids come from (tests inject clashes); short random base36 by default. */
  newId?: () => string;
}

export interface NewJob {
  kind: JobKind;
  template: string;
  params: Record<string, string | number | boolean>;
  requester: Requester;
  origin: JobOrigin;
  /** An attached image: stored with the job, read back when it is submitted. */
  input?: StoredInput;
  parent?: { jobId: string; image: number };
  locale?: string;
  guildLocale?: string;
  spoiler?: boolean;
}

/**
 * removed: it never reached the backend · deleted-from-comfy: it was pending there and is deleted · interrupted:
 * it was running and ComfyUI is told to stop it (it stops between nodes) · deferred: ComfyUI does not answer; it is
 * stopped there as soon as it does · stopping: its prompt is on the wire;
 * it is deleted or interrupted as soon as ComfyUI has it. In the last three cases the 'cancelled' event comes
 * only once the backend has really let go of it.
 */
export type CancelOutcome = 'removed' | 'deleted-from-comfy' | 'interrupted' | 'stopping' | 'deferred' | 'not-found' | 'not-yours' | 'finished';

export class QuotaError extends Error {
  override name = 'QuotaError';
  constructor(readonly limit: number) {
    super(`you already have ${limit} jobs waiting`);
  }
}

export interface SchedulerEvents<Result> {
  /** State or progress changed. */
  update: [Job];
  /** ComfyUI began running the job (once per run; a job resumed after a restart was started before). */
  started: [Job];
  /** The backend finished the job: deliver `result`, then call `settle`. */
  completed: [Job, Result];
  /** Delivery of a completed job is over: its result reached Discord, or could not. */
  settled: [Job, 'done' | 'failed'];
  failed: [Job, Error];
  cancelled: [Job];
  /** The backend is unreachable; jobs are kept and retried. Emitted once per outage. */
  unavailable: [Error];
  /** A job is kept waiting because the backend is unreachable (may repeat for the same job). */
  held: [Job];
  available: [];
}

/**
 * Keeps waiting jobs in a fair queue and hands them to the backend only while it has room (a bounded number of
 * prompts per server), so each GPU always has its next prompt while fairness and cancellation still hold for
 * everything else.
 */
export class Scheduler<Result> extends EventEmitter<SchedulerEvents<Result>> {
  private readonly waiting = new FairQueue<Job>((job) => job.requester.id, 10_000, (job) => job.createdAt);
  /** Taken from the fair queue and waiting for a submission slot (the rate limit): still cancellable in the bot. */
  private readonly dispatching = new Map<string, Job>();
  private readonly jobs = new Map<string, Job>();
  private readonly submitQueue: PQueue;
  private inFlight = 0;
  private paused = false;
  private held = false;
  private inOutage = false;
  private retryAttempt = 0;
  private retryTimer: { cancel(): void } | undefined;
  private readonly cancelling = new Set<string>();
  private readonly now: () => number;
  private readonly clock: Clock;
  private stopped = false;

  constructor(private readonly runner: JobRunner<Result>, private readonly options: SchedulerOptions) {
    super();
    this.clock = options.clock ?? systemClock;
    this.now = options.now ?? (() => this.clock.now());
    this.submitQueue = new PQueue({ concurrency: 16, intervalCap: options.submitsPerMinute, interval: 60_000 });
  }

  /** Writes the job to the ledger before returning, so a member is only told "queued" about a durable job. */
  enqueue(input: NewJob): Job {
    if (this.waiting.countFor(input.requester.id) >= this.options.maxWaitingPerUser) throw new QuotaError(this.options.maxWaitingPerUser);
    const { input: image, ...fields } = input;
    const job: Job = { ...fields, id: this.uniqueId(), state: 'waiting', createdAt: this.now(), resubmits: 0 };
    this.options.ledger?.insert(job, image);
    this.jobs.set(job.id, job);
    this.waiting.push(job);
    this.pump();
    return job;
  }

  /** Takes back the ledger's unfinished jobs after a restart: waiting ones queue again in their order, the rest are followed. */
  restore(jobs: readonly Job[]): void {
    for (const job of jobs) {
      this.jobs.set(job.id, job);
      if (job.state === 'waiting' || !job.promptId) {
        // A waiting job that kept its prompt id had a send time out: ComfyUI may have it, so ask before resending.
        if (job.state === 'waiting' && job.promptId) this.runner.mayBeQueued(job);
        else delete job.promptId;
        job.state = 'waiting';
        this.waiting.push(job);
        continue;
      }
      // 'submitting' jobs may or may not have reached the backend: following finds out (lost = never arrived).
      this.inFlight++;
      this.runner.resume(job);
      void this.follow(job);
    }
    this.pump();
  }

  /**
   * Tries to hand out waiting jobs now (a backend came back, or gained room), and asks again to stop the jobs
   * cancelled while it did not answer.
   */
  poke(): void {
    for (const id of this.cancelling) {
      const job = this.jobs.get(id);
      if (job && (job.state === 'submitted' || job.state === 'running')) void this.runner.cancel(job).catch(() => undefined);
    }
    this.pump();
  }

  /** True while the backend is unreachable (between 'unavailable' and 'available'). */
  get unavailable(): boolean {
    return this.inOutage;
  }

  /**
   * Jobs not yet finished that match `where`, waiting ones first (so a caller cancelling them all stops none that
   * would start meanwhile). Order within each group does not matter, so no fair order is computed: cheap enough
   * for every keystroke of an autocomplete.
   */
  jobsWhere(where: (job: Job) => boolean): Job[] {
    const waiting: Job[] = [];
    const inside: Job[] = [];
    for (const job of this.jobs.values()) {
      if (FINAL_STATES.has(job.state) || !where(job)) continue;
      (job.state === 'waiting' ? waiting : inside).push(job);
    }
    return [...waiting, ...inside];
  }

  /** How many jobs wait in the bot and match `where` (order does not matter, so none is computed). */
  countWaiting(where: (job: Job) => boolean): number {
    let count = 0;
    for (const job of this.jobs.values()) if (job.state === 'waiting' && where(job)) count++;
    return count;
  }

  /** The next `count` waiting jobs, in the order they will run. */
  waitingHead(count: number): Job[] {
    return this.waiting.head(count);
  }

  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  /** 1-based place in the bot's queue, counting prompts already inside ComfyUI; 0 once it is inside. */
  positionOf(job: Job): number {
    if (job.state !== 'waiting') return 0;
    return this.waiting.positionOf(job.id) + this.inFlight;
  }

  /** Jobs inside the backend (oldest first), then waiting jobs in the order they will run (those about to be sent first). */
  snapshot(): { active: Job[]; waiting: Job[] } {
    const active = [...this.jobs.values()].filter((job) => job.state === 'submitting' || job.state === 'submitted' || job.state === 'running' || job.state === 'delivering');
    return { active: active.sort((a, b) => (a.submittedAt ?? 0) - (b.submittedAt ?? 0)), waiting: [...this.dispatching.values(), ...this.waiting.ordered()] };
  }

  /** Jobs that are inside a backend or being sent there, for outage notices. */
  activeOn(server: string): Job[] {
    return [...this.jobs.values()].filter((job) => job.backend === server && (job.state === 'submitting' || job.state === 'submitted' || job.state === 'running'));
  }

  latestOf(userId: string): Job | undefined {
    return [...this.jobs.values()].filter((job) => job.requester.id === userId && !FINAL_STATES.has(job.state)).at(-1);
  }

  async cancel(id: string, byUserId: string, isAdmin: boolean): Promise<CancelOutcome> {
    const job = this.jobs.get(id);
    if (!job) return 'not-found';
    if (job.requester.id !== byUserId && !isAdmin) return 'not-yours';
    if (FINAL_STATES.has(job.state) || job.state === 'delivering') return 'finished';
    if (job.state === 'waiting' && (this.waiting.remove(job.id) || this.dispatching.delete(job.id))) {
      // It kept the prompt id of a send that timed out: that prompt may still be in ComfyUI, so stop it there too.
      if (job.promptId) this.retryCancel(job);
      this.finish(job, 'cancelled');
      this.emit('cancelled', job);
      return 'removed';
    }
    this.cancelling.add(job.id);
    // Its prompt is on the wire: once ComfyUI has it, `run` deletes or interrupts it.
    if (job.state === 'submitting') return 'stopping';
    let outcome: 'deleted' | 'interrupted' | 'gone';
    try {
      outcome = await this.runner.cancel(job);
    } catch {
      // ComfyUI does not answer: keep trying until it does, and tell the member so (not an error).
      this.retryCancel(job);
      return 'deferred';
    }
    if (outcome === 'gone') {
      this.cancelling.delete(job.id);
      return 'finished';
    }
    return outcome === 'interrupted' ? 'interrupted' : 'deleted-from-comfy';
  }

  /**
   * Asks the backend again to delete or stop a cancelled job's prompt, with growing pauses: while it is
   * unreachable, or after a send that timed out (the prompt may still arrive and must not run unseen).
   */
  private retryCancel(job: Job, attempt = 0): void {
    if (this.stopped || attempt >= 12) return;
    const delay = Math.min(10_000, 500 * 2 ** attempt);
    this.clock.after(delay, () => {
      this.runner.cancel(job).then(
        (outcome) => {
          if (outcome === 'gone' && attempt < 4) this.retryCancel(job, attempt + 1);
        },
        () => this.retryCancel(job, attempt + 1),
      );
    });
  }

  /** Called by delivery when the job's outputs reached Discord (or could not). */
  settle(job: Job, outcome: 'done' | 'failed'): void {
    this.finish(job, outcome);
    this.emit('settled', job, outcome);
  }

  stop(): void {
    this.stopped = true;
    this.retryTimer?.cancel();
    this.submitQueue.clear();
  }

  /** Hands waiting jobs, in fair order, to the backend while it has room for them. */
  /** An admin's pause: jobs are still accepted and kept in order, none is sent to ComfyUI until resume(). */
  hold(held: boolean): void {
    this.held = held;
    if (!held) this.pump();
  }

  get isHeld(): boolean {
    return this.held;
  }

  private pump(): void {
    while (!this.stopped && !this.paused && !this.held && this.waiting.size > 0) {
      let reserved: Reservation | undefined;
      const job = this.waiting.take((candidate) => {
        const outcome = this.runner.reserve(candidate);
        if (outcome.kind === 'busy') return false;
        reserved = outcome;
        return true;
      });
      if (!job || !reserved) return;
      if (reserved.kind === 'never') {
        this.fail(job, reserved.error);
        continue;
      }
      if (reserved.kind !== 'reserved') continue;
      job.backend = reserved.server;
      this.inFlight++;
      this.dispatching.set(job.id, job);
      void this.submitQueue.add(() => this.run(job));
    }
  }

  private async run(job: Job): Promise<void> {
    // Cancelled while it waited for a submission slot: give its room back, send nothing.
    if (!this.dispatching.delete(job.id)) {
      this.inFlight--;
      this.runner.release(job);
      this.pump();
      return;
    }
    try {
      // A prompt id kept from a timed-out attempt is reused: the runner first asks whether ComfyUI has it after all.
      job.promptId ??= this.runner.newPromptId();
      job.state = 'submitting';
      this.save(job);
      const { promptId, values, dropped } = await this.runner.submit(job);
      Object.assign(job, { promptId, values, state: 'submitted', submittedAt: this.now(), submitFailures: 0 });
      if (dropped.length > 0) job.dropped = dropped;
      this.save(job);
      this.markAvailable();
      this.emit('update', job);
      if (this.cancelling.has(job.id)) this.runner.cancel(job).catch(() => this.retryCancel(job));
    } catch (error) {
      this.inFlight--;
      this.runner.release(job);
      if (this.cancelling.has(job.id)) {
        // A send that timed out may still land in ComfyUI: look for it a while longer and stop it there.
        if (this.runner.mayHaveArrived(error)) this.retryCancel(job);
        this.finish(job, 'cancelled');
        this.emit('cancelled', job);
        return;
      }
      job.state = 'waiting';
      if (!this.runner.mayHaveArrived(error)) delete job.promptId;
      this.save(job);
      if (this.runner.isServerError(error)) job.submitFailures = (job.submitFailures ?? 0) + 1;
      if (this.runner.isUnavailable(error) && (job.submitFailures ?? 0) < (this.options.maxSubmitFailures ?? Infinity)) {
        this.waiting.unshift(job);
        this.markUnavailable(error as Error);
        for (const held of this.jobs.values()) if (held.state === 'waiting') this.emit('held', held);
      } else {
        this.fail(job, error as Error);
        this.pump();
      }
      return;
    }
    await this.follow(job);
  }

  private async follow(job: Job): Promise<void> {
    try {
      const result = await this.runner.follow(job, (progress) => {
        if (job.state === 'submitted' && progress.phase !== 'queued') {
          job.state = 'running';
          job.startedAt = this.now();
          this.save(job);
          this.emit('started', job);
        }
        job.progress = progress;
        this.emit('update', job);
      });
      this.release(job);
      job.state = 'delivering';
      job.finishedAt = this.now();
      // Only a run watched from start to end measures the template (one that spanned a restart does not).
      if (!job.recovered && job.startedAt !== undefined) job.runMs = job.finishedAt - job.startedAt;
      this.save(job);
      this.emit('update', job);
      this.emit('completed', job, result);
    } catch (error) {
      this.release(job);
      if (this.cancelling.has(job.id)) {
        this.finish(job, 'cancelled');
        this.emit('cancelled', job);
      } else if (this.runner.isLost(error) && (job.state === 'submitting' || job.resubmits === 0)) {
        // A 'submitting' job found nowhere never reached the backend: that is not a loss, just send it.
        if (job.state !== 'submitting') job.resubmits++;
        job.state = 'waiting';
        delete job.promptId;
        this.save(job);
        this.waiting.unshift(job);
        this.pump();
      } else {
        this.fail(job, error as Error);
      }
    }
  }

  private release(job: Job): void {
    this.inFlight--;
    this.runner.release(job);
    this.pump();
  }

  private fail(job: Job, error: Error): void {
    this.finish(job, 'failed');
    this.emit('failed', job, error);
  }

  private finish(job: Job, state: 'done' | 'failed' | 'cancelled'): void {
    job.state = state;
    job.finishedAt ??= this.now();
    this.save(job);
    this.cancelling.delete(job.id);
    this.jobs.delete(job.id);
    this.emit('update', job);
  }

  /** A fresh id, drawn again while it names a job held here or kept in the ledger. */
  private uniqueId(): string {
    const draw = this.options.newId ?? newJobId;
    for (let attempt = 0; attempt < ID_ATTEMPTS; attempt++) {
      const id = draw();
      if (!this.jobs.has(id) && !this.options.ledger?.has?.(id)) return id;
    }
    throw new Error(`could not find an unused job id in ${ID_ATTEMPTS} tries`);
  }

  private save(job: Job): void {
    this.options.ledger?.update(job);
  }

  /** Pauses submissions, tells listeners once per outage, and tries again after a growing delay. */
  private markUnavailable(error: Error): void {
    if (this.paused) return;
    this.paused = true;
    if (!this.inOutage) {
      this.inOutage = true;
      this.emit('unavailable', error);
    }
    const base = this.options.retryBaseMs ?? 1_000;
    const delay = Math.min(this.options.retryMaxMs ?? 30_000, base * 2 ** this.retryAttempt++) * (0.75 + this.clock.random() * 0.25);
    this.retryTimer = this.clock.after(delay, () => {
      this.paused = false;
      this.pump();
    });
  }

  private markAvailable(): void {
    if (!this.inOutage) return;
    this.inOutage = false;
    this.retryAttempt = 0;
    this.emit('available');
  }
}

const ID_ATTEMPTS = 20;
const ID_LENGTH = 8;

/** 8 base36 characters: about 41 random bits. */
function newJobId(): string {
  return randomInt(36 ** ID_LENGTH).toString(36).padStart(ID_LENGTH, '0');
}
