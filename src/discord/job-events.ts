import type { ComfyPool } from '../comfy/pool.js';
import type { PromptResult } from '../comfy/watcher.js';
import { FINAL_STATES, type Job } from '../jobs/job.js';
import type { Scheduler } from '../jobs/scheduler.js';
import type { Logger } from '../log.js';
import type { Delivery } from './delivery.js';
import { progressBar } from './progress.js';

export interface JobEventDeps {
  scheduler: Scheduler<PromptResult>;
  delivery: Delivery;
  pool: Pick<ComfyPool, 'size' | 'labelOf' | 'anyUp' | 'on'>;
  logger: Logger;
}

/** How many waiting jobs get their place in line refreshed as the queue moves (each is a message edit). */
const REFRESHED_POSITIONS = 5;

function progressText(ctx: JobEventDeps, job: Job): string | undefined {
  const say = ctx.delivery.say.bind(ctx.delivery);
  const server = ctx.pool.size > 1 && job.backend ? say('queue.server', { server: ctx.pool.labelOf(job.backend) }) : '';
  const progress = job.progress;
  switch (job.state) {
    case 'waiting': {
      const position = ctx.scheduler.positionOf(job);
      return position <= 1 ? say('queue.next', { id: job.id }) : say('queue.position', { id: job.id, position });
    }
    case 'submitted':
      return progress?.phase === 'queued' ? say('progress.comfyQueue', { id: job.id, position: progress.position ?? 1, server }) : undefined;
    case 'running':
      if (progress?.phase === 'sampling' && progress.max) return say('progress.sampling', { id: job.id, bar: progressBar(progress.value ?? 0, progress.max), value: progress.value ?? 0, max: progress.max, server });
      return progress?.phase === 'started' ? say('progress.started', { id: job.id, server }) : say('progress.node', { id: job.id, server });
    case 'delivering':
      // A job recovered after a restart may already show its result: leave its message alone.
      return job.recovered ? undefined : say('progress.delivering', { id: job.id });
    default:
      return undefined;
  }
}

/** Connects the scheduler's events to Discord delivery: progress, results, failures, outages. */
export function wireJobEvents(ctx: JobEventDeps): void {
  const { scheduler, delivery, logger } = ctx;
  scheduler.on('update', (job) => {
    if (FINAL_STATES.has(job.state)) return;
    const text = progressText(ctx, job);
    if (text) delivery.progress(job, text);
    if (job.state === 'submitted' && !job.progress) {
      for (const waiting of scheduler.waitingHead(REFRESHED_POSITIONS)) {
        const waitingText = progressText(ctx, waiting);
        if (waitingText) delivery.progress(waiting, waitingText);
      }
    }
  });
  scheduler.on('completed', (job, result) => {
    void delivery.complete(job, result).then((outcome) => {
      logger.info({ job: job.id, outcome, files: result.outputs.length, ms: (job.finishedAt ?? 0) - job.createdAt }, 'job delivered');
      scheduler.settle(job, outcome);
    });
  });
  scheduler.on('failed', (job, error) => void delivery.fail(job, error));
  scheduler.on('cancelled', (job) => void delivery.notice(job, delivery.say('cancelled', { id: job.id })));
  scheduler.on('unavailable', (error) => logger.warn({ err: error }, 'ComfyUI is unreachable; keeping jobs and retrying'));
  // Repeats for the same job are free: the editor only edits when the text changes.
  scheduler.on('held', (job) => delivery.progress(job, delivery.say('comfy.down', { id: job.id })));
  scheduler.on('available', () => logger.info('ComfyUI is reachable again'));
  // A server that stops answering is noticed by the pool (health checks, the socket), not only by a failed send:
  // tell the members whose jobs are inside it, and, when no server is left, everyone waiting. Once per outage —
  // the editor only edits when the text changes.
  ctx.pool.on('down', (backend) => {
    for (const job of scheduler.activeOn(backend.name)) delivery.progress(job, delivery.say('comfy.downRunning', { id: job.id }));
    if (ctx.pool.anyUp) return;
    for (const job of scheduler.snapshot().waiting) delivery.progress(job, delivery.say('comfy.down', { id: job.id }));
  });
}
