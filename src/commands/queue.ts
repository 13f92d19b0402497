import { MessageFlags, SlashCommandBuilder } from 'discord.js';
import type { BotContext } from '../context.js';
import { progressBar } from '../discord/progress.js';
import type { Job } from '../jobs/job.js';
import type { Command } from './command.js';

const SHOWN = 15;

function age(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  return seconds < 90 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;
}

function progressText(ctx: BotContext, job: Job): string {
  const say = ctx.delivery.say.bind(ctx.delivery);
  const progress = job.progress;
  if (job.state === 'delivering') return say('queue.state.uploading');
  if (progress?.phase === 'sampling' && progress.max) return `${progressBar(progress.value ?? 0, progress.max)} ${progress.value}/${progress.max}`;
  if (progress?.phase === 'queued') return say('queue.state.comfyQueue', { position: progress.position ?? 1 });
  return say(job.state === 'running' ? 'queue.state.running' : 'queue.state.sent');
}

export function renderQueue(ctx: BotContext, callerId: string, comfyRemaining: number | undefined): string {
  const { active, waiting } = ctx.scheduler.snapshot();
  const say = ctx.delivery.say.bind(ctx.delivery);
  const mine = (job: Job) => (job.requester.id === callerId ? say('queue.mine') : '');
  const now = ctx.now();
  const lines: string[] = [];
  for (const job of active) {
    const server = ctx.pool.size > 1 && job.backend ? say('queue.server', { server: job.backend }) : '';
    lines.push(say('queue.running', { id: job.id, command: `/${job.kind}`, user: job.requester.name, mine: mine(job), progress: `${progressText(ctx, job)}${server}`, age: age(now - job.createdAt) }));
  }
  if (waiting.length > 0) {
    lines.push(say('queue.waitingHeader'));
    waiting.slice(0, SHOWN).forEach((job, index) => {
      lines.push(say('queue.waiting', { index: index + 1, id: job.id, command: `/${job.kind}`, user: job.requester.name, mine: mine(job), age: age(now - job.createdAt) }));
    });
    if (waiting.length > SHOWN) lines.push(say('queue.more', { count: waiting.length - SHOWN }));
  }
  const comfyLine = comfyRemaining === undefined ? say('queue.comfyDown') : say('queue.comfy', { remaining: comfyRemaining });
  if (lines.length === 0) return comfyRemaining === undefined ? comfyLine : say('queue.empty', { remaining: comfyRemaining });
  return [...lines, comfyLine].join('\n');
}

export const queue = {
  data: new SlashCommandBuilder().setName('queue').setDescription('Show the jobs running and waiting').toJSON(),
  async execute(interaction, ctx) {
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const remaining = await ctx.pool.queueRemaining(3_000);
    await interaction.editReply({ content: renderQueue(ctx, interaction.user.id, remaining), allowedMentions: { parse: [] } });
  },
} satisfies Command;
