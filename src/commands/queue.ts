import { MessageFlags, SlashCommandBuilder } from 'discord.js';
import type { Messages } from '../discord/messages.js';
import { stateText } from '../discord/job-status.js';
import type { Job } from '../jobs/job.js';
import type { QueueView } from '../service/jobs.js';
import type { Command } from './command.js';

const SHOWN = 15;

function age({ say }: Messages, ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  return seconds < 90 ? say('time.seconds', { n: seconds }) : say('time.minutes', { n: Math.round(seconds / 60) });
}

/** The caller's view of the queue as lines: running jobs, then waiting ones with their place, then ComfyUI's own. */
function renderQueue(messages: Messages, callerId: string, view: QueueView): string {
  const { say } = messages;
  const mine = (job: Job) => (job.requester.id === callerId ? say('queue.mine') : '');
  const lines: string[] = [];
  for (const { job, server } of view.running) {
    const where = server ? say('queue.server', { server }) : '';
    lines.push(say('queue.running', { id: job.id, command: `/${job.kind}`, user: job.requester.name, mine: mine(job), progress: `${stateText(messages, job)}${where}`, age: age(messages, view.now - job.createdAt) }));
  }
  if (view.waiting.length > 0) {
    lines.push(say('queue.waitingHeader'));
    for (const { job, place } of view.waiting.slice(0, SHOWN)) {
      lines.push(say('queue.waiting', { index: place, id: job.id, command: `/${job.kind}`, user: job.requester.name, mine: mine(job), age: age(messages, view.now - job.createdAt) }));
    }
    if (view.waiting.length > SHOWN) lines.push(say('queue.more', { count: view.waiting.length - SHOWN }));
  }
  if (view.hidden > 0) lines.push(say('queue.elsewhere', { count: view.hidden }));
  const remaining = view.comfyRemaining;
  const comfyLine = remaining === undefined ? say('queue.comfyDown') : say('queue.comfy', { count: remaining });
  if (lines.length === 0) return remaining === undefined ? comfyLine : say('queue.empty', { count: remaining });
  return [...lines, comfyLine].join('\n');
}

export const queue = {
  data: new SlashCommandBuilder().setName('queue').setDescription('Show the jobs running and waiting').toJSON(),
  async execute(interaction, { jobs, messages }, caller) {
    // Before deferring, so a refusal (asking too often) is answered at once and costs no ComfyUI request.
    jobs.admitQueueAsk(caller);
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    await interaction.editReply({ content: renderQueue(messages, caller.userId, await jobs.queue(caller)), allowedMentions: { parse: [] } });
  },
} satisfies Command;
