import type { Estimate } from '../jobs/estimates.js';
import type { Job } from '../jobs/job.js';
import type { Messages } from './messages.js';
import { progressBar } from './progress.js';

/** Where a job stands, in words: the sentence on its own message and the phrase in /queue come from here. */

/** Discord shows `<t:…:R>` as "in 2 minutes" in the member's language and counts down without edits. */
function etaText({ say }: Messages, eta: Estimate | undefined): string {
  if (!eta) return '';
  const seconds = (at: number): number => Math.round(at / 1000);
  return eta.startAt === undefined ? say('eta.running', { finish: seconds(eta.finishAt) }) : say('eta.waiting', { start: seconds(eta.startAt), finish: seconds(eta.finishAt) });
}

/** A job just queued (or still waiting): its place and when it should start, or that ComfyUI is unreachable. */
export function queuedText(messages: Messages, jobId: string, position: number, comfyDown = false, eta?: Estimate): string {
  const { say } = messages;
  if (comfyDown) return say('comfy.down', { id: jobId });
  const when = etaText(messages, eta);
  return position <= 1 ? say('queue.next', { id: jobId, eta: when }) : say('queue.position', { id: jobId, position, eta: when });
}

function sampling(job: Job): { value: number; max: number; bar: string } | undefined {
  const progress = job.progress;
  if (progress?.phase !== 'sampling' || !progress.max) return undefined;
  return { value: progress.value ?? 0, max: progress.max, bar: progressBar(progress.value ?? 0, progress.max) };
}

/**
 * The text on a job's own message for its state; undefined when the message should be left alone. `position` is
 * its place in line while waiting; `server` names the server it is on (empty with a single server).
 */
export function progressText(messages: Messages, job: Job, position: number, server: string, eta?: Estimate): string | undefined {
  const { say } = messages;
  const where = server ? say('queue.server', { server }) : '';
  const steps = sampling(job);
  const when = etaText(messages, eta);
  switch (job.state) {
    case 'waiting':
      return queuedText(messages, job.id, position, false, eta);
    case 'submitted':
      return job.progress?.phase === 'queued' ? say('progress.comfyQueue', { id: job.id, position: job.progress.position ?? 1, server: where, eta: when }) : undefined;
    case 'running':
      if (steps) return say('progress.sampling', { id: job.id, ...steps, server: where, eta: when });
      return job.progress?.phase === 'started' ? say('progress.started', { id: job.id, server: where, eta: when }) : say('progress.node', { id: job.id, server: where, eta: when });
    case 'delivering':
      // A job recovered after a restart may already show its result: leave its message alone.
      return job.recovered ? undefined : say('progress.delivering', { id: job.id });
    default:
      return undefined;
  }
}

/** The short phrase for a job inside ComfyUI, as /queue lists it. */
export function stateText({ say }: Messages, job: Job): string {
  const steps = sampling(job);
  if (job.state === 'delivering') return say('queue.state.uploading');
  if (steps) return `${steps.bar} ${steps.value}/${steps.max}`;
  if (job.progress?.phase === 'queued') return say('queue.state.comfyQueue', { position: job.progress.position ?? 1 });
  return say(job.state === 'running' ? 'queue.state.running' : 'queue.state.sent');
}
