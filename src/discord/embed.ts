import type { Job } from '../jobs/job.js';
import { shown } from './escape.js';
import type { Messages, MessageId } from './messages.js';

const FIELDS: ReadonlyArray<readonly [string, MessageId]> = [
  ['seed', 'embed.seed'], ['steps', 'embed.steps'], ['cfg', 'embed.cfg'], ['sampler', 'embed.sampler'],
  ['checkpoint', 'embed.checkpoint'], ['lora', 'embed.lora'], ['lora2', 'embed.lora'], ['frames', 'embed.frames'], ['fps', 'embed.fps'], ['motion', 'embed.motion'],
];

function clip(text: string, max: number): string {
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : text;
}

/** Member text, escaped (an embed renders markdown and masked links), then clipped to Discord's limit. */
function quoted(value: string | number | boolean, max: number): string {
  return clip(typeof value === 'string' ? shown(value) : String(value), max);
}

/** A compact embed of what was made and how: prompt, seed, steps, cfg, sampler, checkpoint, time taken. */
export function buildEmbed(messages: Messages, job: Job, seconds: number, shrunk: boolean) {
  const { say } = messages;
  const values = job.values ?? job.params;
  const fields = FIELDS.filter(([key]) => values[key] !== undefined).map(([key, label]) => ({ name: say(label), value: quoted(values[key] as string | number | boolean, 1024), inline: true }));
  fields.push({ name: say('embed.time'), value: say('time.seconds', { n: seconds.toFixed(1) }), inline: true });
  if (job.parent) {
    const from = job.parent.image < 0 ? say('embed.fromJob', { id: job.parent.jobId }) : say('embed.fromValue', { image: job.parent.image + 1, id: job.parent.jobId });
    fields.push({ name: say('embed.from'), value: from, inline: false });
  }
  if (typeof values['negative'] === 'string' && values['negative'] !== '') fields.push({ name: say('embed.negative'), value: quoted(values['negative'], 1024), inline: false });
  return {
    description: typeof values['prompt'] === 'string' ? quoted(values['prompt'], 4000) : undefined,
    fields,
    footer: { text: `${job.template} · job ${job.id}${shrunk ? ` · ${say('embed.shrunk')}` : ''}` },
    color: 0x5865f2,
  };
}
