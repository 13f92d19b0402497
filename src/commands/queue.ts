import { MessageFlags, SlashCommandBuilder } from 'discord.js';
import type { BotContext } from '../context.js';
import { canSee, type Caller } from '../policy/admin.js';
import { progressBar } from '../discord/progress.js';
import { UserError } from '../discord/user-error.js';
import type { Job } from '../jobs/job.js';
import { perOwner, RateLimiter } from '../policy/rate-limit.js';
import type { Command } from './command.js';

const SHOWN = 15;

/** Each /queue asks every ComfyUI server for its queue: three at once per member, then one every five seconds. */
const limiterOf = perOwner((ctx: BotContext) => new RateLimiter({ burst: 3, perSecond: 0.2, now: ctx.now }));

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

/**
 * The jobs of the server the caller asks in (and her own) in full; other servers' and DMs' jobs only as a count,
 * never their ids or members. Places in line still count every job, so they stay true.
 */
export function renderQueue(ctx: BotContext, caller: Omit<Caller, 'isAdmin'>, comfyRemaining: number | undefined): string {
  const { active, waiting } = ctx.scheduler.snapshot();
  const say = ctx.delivery.say.bind(ctx.delivery);
  const mine = (job: Job) => (job.requester.id === caller.userId ? say('queue.mine') : '');
  const now = ctx.now();
  const lines: string[] = [];
  const running = active.filter((job) => canSee(job, caller));
  for (const job of running) {
    const server = ctx.pool.size > 1 && job.backend ? say('queue.server', { server: ctx.pool.labelOf(job.backend) }) : '';
    lines.push(say('queue.running', { id: job.id, command: `/${job.kind}`, user: job.requester.name, mine: mine(job), progress: `${progressText(ctx, job)}${server}`, age: age(now - job.createdAt) }));
  }
  const shown = waiting.map((job, index) => ({ job, place: index + 1 })).filter(({ job }) => canSee(job, caller));
  if (shown.length > 0) {
    lines.push(say('queue.waitingHeader'));
    for (const { job, place } of shown.slice(0, SHOWN)) {
      lines.push(say('queue.waiting', { index: place, id: job.id, command: `/${job.kind}`, user: job.requester.name, mine: mine(job), age: age(now - job.createdAt) }));
    }
    if (shown.length > SHOWN) lines.push(say('queue.more', { count: shown.length - SHOWN }));
  }
  const hidden = active.length - running.length + waiting.length - shown.length;
  if (hidden > 0) lines.push(say('queue.elsewhere', { count: hidden }));
  const comfyLine = comfyRemaining === undefined ? say('queue.comfyDown') : say('queue.comfy', { remaining: comfyRemaining });
  if (lines.length === 0) return comfyRemaining === undefined ? comfyLine : say('queue.empty', { remaining: comfyRemaining });
  return [...lines, comfyLine].join('\n');
}

export const queue = {
  data: new SlashCommandBuilder().setName('queue').setDescription('Show the jobs running and waiting').toJSON(),
  async execute(interaction, ctx) {
    if (!limiterOf(ctx).take(interaction.user.id)) throw new UserError('queue.tooFast');
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const remaining = await ctx.pool.queueRemaining(3_000);
    const caller = { userId: interaction.user.id, guildId: interaction.guildId };
    await interaction.editReply({ content: renderQueue(ctx, caller, remaining), allowedMentions: { parse: [] } });
  },
} satisfies Command;
