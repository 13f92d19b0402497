import type { ComfyPool } from '../comfy/pool.js';
import type { PromptResult } from '../comfy/watcher.js';
import { FINAL_STATES, type Job } from '../jobs/job.js';
import type { Scheduler } from '../jobs/scheduler.js';
import type { Logger } from '../log.js';
import type { Delivery } from './delivery.js';
import type { Estimate, Estimator } from '../jobs/estimates.js';
import { progressText } from './job-status.js';
import { messagesFor } from './messages.js';

export interface JobEventDeps {
  scheduler: Scheduler<PromptResult>;
  estimates: Estimator;
  delivery: Delivery;
  pool: Pick<ComfyPool, 'size' | 'labelOf' | 'anyUp' | 'on' | 'upCount'>;
  logger: Logger;
}

/** How many waiting jobs get their place in line refreshed as the queue moves (each is a message edit). */
const REFRESHED_POSITIONS = 5;

/** When a job should start and finish, from the jobs inside ComfyUI and those ahead of it. */
export function etaOf(ctx: Pick<JobEventDeps, 'scheduler' | 'estimates' | 'pool'>, job: Job): Estimate {
  const { active, waiting } = ctx.scheduler.snapshot();
  const place = waiting.findIndex((other) => other.id === job.id);
  return ctx.estimates.estimate(job, active, place < 0 ? [] : waiting.slice(0, place), ctx.pool.upCount);
}

function statusOf(ctx: JobEventDeps, job: Job): string | undefined {
  if (job.state === 'waiting' && ctx.scheduler.isHeld) return messagesFor(job.locale).say('queue.paused', { id: job.id, position: ctx.scheduler.positionOf(job) });
  const server = ctx.pool.size > 1 && job.backend ? ctx.pool.labelOf(job.backend) : '';
  return progressText(messagesFor(job.locale), job, job.state === 'waiting' ? ctx.scheduler.positionOf(job) : 0, server, etaOf(ctx, job));
}

/** Connects the scheduler's events to Discord delivery: progress, results, failures, outages. */
export function wireJobEvents(ctx: JobEventDeps): void {
  const { scheduler, delivery, logger } = ctx;
  scheduler.on('started', (job) => logger.info({ job: job.id, server: ctx.pool.labelOf(job.backend), template: job.template }, 'job started'));
  scheduler.on('update', (job) => {
    if (FINAL_STATES.has(job.state)) return;
    const text = statusOf(ctx, job);
    if (text) delivery.progress(job, text);
    if (job.state === 'submitted' && !job.progress) {
      for (const waiting of scheduler.waitingHead(REFRESHED_POSITIONS)) {
        const waitingText = statusOf(ctx, waiting);
        if (waitingText) delivery.progress(waiting, waitingText);
      }
    }
  });
  scheduler.on('completed', (job, result) => {
    if (job.runMs !== undefined) ctx.estimates.record({ template: job.template, server: job.backend, ms: job.runMs });
    ctx.estimates.forget(job.id);
    void delivery.complete(job, result).then((outcome) => {
      logger.info({ job: job.id, server: ctx.pool.labelOf(job.backend), outcome, files: result.outputs.length, ms: (job.finishedAt ?? 0) - job.createdAt }, 'job delivered');
      scheduler.settle(job, outcome);
    });
  });
  scheduler.on('failed', (job, error) => {
    ctx.estimates.forget(job.id);
    void delivery.fail(job, error);
  });
  scheduler.on('cancelled', (job) => {
    ctx.estimates.forget(job.id);
    logger.info({ job: job.id, server: ctx.pool.labelOf(job.backend) }, 'job cancelled');
  });
  scheduler.on('cancelled', (job) => void delivery.notice(job, 'cancelled', { id: job.id }));
  scheduler.on('unavailable', (error) => logger.warn({ err: error }, 'ComfyUI is unreachable; keeping jobs and retrying'));
  // Repeats for the same job are free: the editor only edits when the text changes.
  scheduler.on('held', (job) => delivery.progress(job, messagesFor(job.locale).say('comfy.down', { id: job.id })));
  scheduler.on('available', () => logger.info('ComfyUI is reachable again'));
  // A server that stops answering is noticed by the pool (health checks, the socket), not only by a failed send:
  // tell the members whose jobs are inside it, and, when no server is left, everyone waiting. Once per outage —
  // the editor only edits when the text changes.
  ctx.pool.on('down', (backend) => {
    for (const job of scheduler.activeOn(backend.name)) delivery.progress(job, messagesFor(job.locale).say('comfy.downRunning', { id: job.id }));
    if (ctx.pool.anyUp) return;
    for (const job of scheduler.snapshot().waiting) delivery.progress(job, messagesFor(job.locale).say('comfy.down', { id: job.id }));
  });
}
