import { MessageFlags, SlashCommandBuilder } from 'discord.js';
import type { Messages } from '../discord/messages.js';
import { progressBar } from '../discord/progress.js';
import type { Job } from '../jobs/job.js';
import type { QueueView } from '../service/jobs.js';
import type { Command } from './command.js';

const SHOWN = 15;

function age(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  return seconds < 90 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;
}

function progressText({ say }: Messages, job: Job): string {
  const progress = job.progress;
  if (job.state === 'delivering') return say('queue.state.uploading');
  if (progress?.phase === 'sampling' && progress.max) return `${progressBar(progress.value ?? 0, progress.max)} ${progress.value}/${progress.max}`;
  if (progress?.phase === 'queued') return say('queue.state.comfyQueue', { position: progress.position ?? 1 });
  return say(job.state === 'running' ? 'queue.state.running' : 'queue.state.sent');
}

/** The caller's view of the queue as lines: running jobs, then waiting ones with their place, then ComfyUI's own. */
export function renderQueue(messages: Messages, callerId: string, view: QueueView): string {
  const { say } = messages;
  const mine = (job: Job) => (job.requester.id === callerId ? say('queue.mine') : '');
  const lines: string[] = [];
  for (const { job, server } of view.running) {
    const where = server ? say('queue.server', { server }) : '';
    lines.push(say('queue.running', { id: job.id, command: `/${job.kind}`, user: job.requester.name, mine: mine(job), progress: `${progressText(messages, job)}${where}`, age: age(view.now - job.createdAt) }));
  }
  if (view.waiting.length > 0) {
    lines.push(say('queue.waitingHeader'));
    for (const { job, place } of view.waiting.slice(0, SHOWN)) {
      lines.push(say('queue.waiting', { index: place, id: job.id, command: `/${job.kind}`, user: job.requester.name, mine: mine(job), age: age(view.now - job.createdAt) }));
    }
    if (view.waiting.length > SHOWN) lines.push(say('queue.more', { count: view.waiting.length - SHOWN }));
  }
  if (view.hidden > 0) lines.push(say('queue.elsewhere', { count: view.hidden }));
  const remaining = view.comfyRemaining;
  const comfyLine = remaining === undefined ? say('queue.comfyDown') : say('queue.comfy', { remaining });
  if (lines.length === 0) return remaining === undefined ? comfyLine : say('queue.empty', { remaining });
  return [...lines, comfyLine].join('\n');
}

export const queue = {
  data: new SlashCommandBuilder().setName('queue').setDescription('Show the jobs running and waiting').toJSON(),
  async execute(interaction, { jobs, messages }, caller) {
    // Asked before deferring, so a refusal (asking too often) stays private and costs no ComfyUI request.
    const view = jobs.queue(caller);
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    await interaction.editReply({ content: renderQueue(messages, caller.userId, await view), allowedMentions: { parse: [] } });
  },
} satisfies Command;
