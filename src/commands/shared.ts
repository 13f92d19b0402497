import {
  PermissionFlagsBits, type AutocompleteInteraction, type BaseInteraction, type ChatInputCommandInteraction, type GuildMember, type APIInteractionGuildMember,
} from 'discord.js';
import type { InputImage } from '../comfy/runner.js';
import { fillWorkflow, ParamError, type Template } from '../comfy/templates.js';
import type { BotContext } from '../context.js';
import type { Caller } from '../policy/admin.js';
import { shown } from '../discord/escape.js';
import { UserError } from '../discord/user-error.js';
import { InProgress } from '../policy/in-progress.js';
import type { Job, JobKind } from '../jobs/job.js';
import { checkQuota } from '../policy/quota.js';
import { perOwner } from '../policy/rate-limit.js';
import { findBannedWord } from '../policy/banned-words.js';

const DEFAULT_ATTACHMENT_LIMIT = 10 * 1024 * 1024;

/** The template a command uses when none is named: chosen at start (and when servers change), and logged. */
export function defaultTemplate(ctx: BotContext, kind: JobKind): string {
  return ctx.defaults[kind];
}

/** A template of this command that some server can run; otherwise a sentence saying what is missing. */
export function findTemplate(ctx: BotContext, name: string, kind: JobKind): Template {
  const template = ctx.templates.get(name);
  const runnable = [...ctx.templates.values()].filter((candidate) => candidate.command === kind && ctx.pool.fitness(candidate) !== 'unfit').map((candidate) => candidate.name);
  if (!template) throw new UserError('input.unknownTemplate', { name: shown(name), names: runnable.join(', ') || 'none' });
  if (template.command !== kind) throw new UserError('input.wrongTemplate', { name: shown(name), command: template.command, used: kind });
  if (ctx.pool.fitness(template) === 'unfit') {
    // What is missing may have been installed since the servers were last read: look again, for the next try.
    void ctx.pool.refreshStale(10_000);
    throw new UserError('input.unfit', { name: shown(name), reason: ctx.pool.describeMissing(template).join('; '), names: runnable.join(', ') || 'none' });
  }
  return template;
}

const COMBO_LABELS: Readonly<Record<string, string>> = { checkpoint: 'Checkpoint', sampler: 'Sampler', scheduler: 'Scheduler' };

/** Checks combo values (checkpoint, sampler…) against what the server offers, when the server can be asked. */
async function checkCombos(ctx: BotContext, template: Template, params: Record<string, string | number | boolean>): Promise<void> {
  for (const [name, value] of Object.entries(params)) {
    const spec = template.params[name];
    if (spec?.type !== 'combo') continue;
    const node = template.workflow[spec.node];
    if (!node) continue;
    let options: string[];
    try {
      options = await ctx.pool.comboValues(node.class_type, spec.input);
    } catch {
      return; // ComfyUI unreachable: the job waits, and ComfyUI's own validation speaks later.
    }
    if (options.length > 0 && !options.includes(String(value))) {
      throw new UserError('input.notInstalled', { what: COMBO_LABELS[name] ?? name, value: shown(String(value)), options: options.slice(0, 10).join(', ') });
    }
  }
}

/** How long the slow checks may take before the public reply must exist (Discord wants an answer within 3 s). */
const DECIDE_WITHIN_MS = 1_500;

/**
 * Checks what a member asked for and queues it. Everything that can refuse comes before the public reply, so a
 * refusal is answered privately: the cheap checks, then the member's quota slot is held, then the slow ones
 * (catalogue, image download), deferring publicly only if those have not decided within DECIDE_WITHIN_MS.
 */
export async function submitJob(
  interaction: ChatInputCommandInteraction,
  ctx: BotContext,
  kind: JobKind,
  template: Template,
  params: Record<string, string | number | boolean>,
  fetchInput?: () => Promise<InputImage>,
): Promise<Job> {
  const release = admit(interaction, ctx, template, params);
  try {
    const image = await decideSoon(interaction, slowChecks(ctx, template, params, fetchInput));
    if (!interaction.deferred) await interaction.deferReply();
    return enqueueJob(interaction, ctx, kind, template, params, image);
  } finally {
    release();
  }
}

/** The synchronous checks; holds the member's quota slot (returns its release) so concurrent commands see it. */
function admit(interaction: BaseInteraction, ctx: BotContext, template: Template, params: Record<string, string | number | boolean>): () => void {
  if (ctx.shuttingDown) throw new UserError('bot.restarting');
  const banned = typeof params['prompt'] === 'string' ? findBannedWord(params['prompt'], ctx.config.BANNED_WORDS) : undefined;
  if (banned) throw new UserError('input.banned', { word: shown(banned) });
  const imageParam = Object.entries(template.params).find(([, spec]) => spec.type === 'image')?.[0];
  try {
    fillWorkflow(template, imageParam ? { ...params, [imageParam]: 'check.png' } : params, { seed: () => 0 });
  } catch (error) {
    throw error instanceof ParamError ? new ParamError(error.param, shown(error.message)) : error;
  }
  checkWaitingCap(interaction, ctx);
  // isAdmin is false in DMs, so DMs never skip the limits.
  if (!(ctx.config.ADMINS_EXEMPT && isAdmin(interaction, ctx.config.ADMIN_ROLE_ID))) checkLimits(interaction, ctx);
  return inProgress(ctx).hold([memberKey(interaction), guildKey(interaction)], ctx.now());
}

async function slowChecks(ctx: BotContext, template: Template, params: Record<string, string | number | boolean>, fetchInput?: () => Promise<InputImage>): Promise<InputImage | undefined> {
  await checkCombos(ctx, template, params);
  return fetchInput?.();
}

/** The outcome of `work` if it comes within DECIDE_WITHIN_MS; otherwise defers the reply (publicly) and waits on. */
async function decideSoon<T>(interaction: ChatInputCommandInteraction, work: Promise<T>): Promise<T> {
  const late = Symbol('late');
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof late>((resolve) => {
    timer = setTimeout(() => resolve(late), DECIDE_WITHIN_MS);
  });
  const first = await Promise.race([work, deadline]).finally(() => clearTimeout(timer));
  if (first !== late) return first;
  await interaction.deferReply();
  return work;
}

/** Queues a job that passed every check (its reply already deferred) and shows its place. */
function enqueueJob(
  interaction: BaseInteraction,
  ctx: BotContext,
  kind: JobKind,
  template: Template,
  params: Record<string, string | number | boolean>,
  image?: InputImage,
): Job {
  const job = ctx.scheduler.enqueue(
    {
      kind, template: template.name, params, ...(image ? { input: image } : {}),
      requester: { id: interaction.user.id, name: interaction.user.username },
      origin: {
        guildId: interaction.guildId, channelId: interaction.channelId,
        interactionId: interaction.id, interactionToken: interaction.token,
        // Receipt time, not the snowflake: the token's 15 minutes count from about now.
        interactionAt: ctx.now(),
        attachmentLimit: (interaction as { attachmentSizeLimit?: number }).attachmentSizeLimit ?? DEFAULT_ATTACHMENT_LIMIT,
      },
    },
  );
  const position = ctx.scheduler.positionOf(job);
  if (ctx.scheduler.unavailable || !ctx.pool.anyUp) ctx.delivery.progress(job, ctx.delivery.say('comfy.down', { id: job.id }));
  else ctx.delivery.progress(job, position <= 1 ? ctx.delivery.say('queue.next', { id: job.id }) : ctx.delivery.say('queue.position', { id: job.id, position }));
  return job;
}

const inProgress = perOwner((_ctx: BotContext) => new InProgress());
const memberKey = (interaction: BaseInteraction): string => `member:${interaction.user.id}`;
// All DMs form one bucket, as in the ledger's guild counts (their guild id is null).
const guildKey = (interaction: BaseInteraction): string => `guild:${interaction.guildId ?? 'dm'}`;

/** Ledger (or DM) start times and the slots held by commands still in progress, oldest first. */
function withHeld(recent: readonly number[], held: readonly number[]): number[] {
  return held.length === 0 ? [...recent] : [...recent, ...held].sort((a, b) => a - b);
}

/** Discord renders `<t:…:R>` as "in 5 minutes" in the member's own language and time zone. */
function when(at: number): string {
  return `<t:${Math.ceil(at / 1000)}:R>`;
}

/**
 * Per-member cooldown and hourly cap, per-guild hourly cap and waiting cap; says when to try again. All DMs
 * together count as one more guild, so a member cannot escape the server limits by writing to the bot directly.
 */
function checkLimits(interaction: BaseInteraction, ctx: BotContext): void {
  const now = ctx.now();
  const { config } = ctx;
  const held = inProgress(ctx);
  const mineRecent = withHeld(ctx.store.recentByRequester(interaction.user.id, now - 3_600_000), held.times(memberKey(interaction)));
  const mine = checkQuota(mineRecent, now, { perHour: config.JOBS_PER_HOUR, cooldownSeconds: config.COOLDOWN_SECONDS });
  if (!mine.ok) throw new UserError(mine.reason === 'cooldown' ? 'quota.cooldown' : 'quota.hourly', { when: when(mine.retryAt), limit: config.JOBS_PER_HOUR });
  const guildId = interaction.guildId;
  const recent = guildId ? ctx.store.recentByGuild(guildId, now - 3_600_000) : ctx.store.recentInDms(now - 3_600_000);
  const guild = checkQuota(withHeld(recent, held.times(guildKey(interaction))), now, { perHour: config.GUILD_JOBS_PER_HOUR, cooldownSeconds: 0 });
  if (!guild.ok) throw new UserError(guildId ? 'quota.guildHourly' : 'quota.dmHourly', { when: when(guild.retryAt), limit: config.GUILD_JOBS_PER_HOUR });
  // guildId is null for DMs, and so is a DM job's origin: they form one bucket.
  const waiting = ctx.scheduler.countWaiting((job) => job.origin.guildId === guildId) + held.times(guildKey(interaction)).length;
  if (config.GUILD_MAX_WAITING > 0 && waiting >= config.GUILD_MAX_WAITING) {
    throw new UserError(guildId ? 'quota.guildWaiting' : 'quota.dmWaiting', { limit: config.GUILD_MAX_WAITING });
  }
}

/** The scheduler's own cap on a member's waiting jobs (admins too), checked early so its refusal stays private. */
function checkWaitingCap(interaction: BaseInteraction, ctx: BotContext): void {
  const limit = ctx.config.MAX_WAITING_PER_USER;
  const waiting = ctx.scheduler.countWaiting((job) => job.requester.id === interaction.user.id) + inProgress(ctx).times(memberKey(interaction)).length;
  if (waiting >= limit) throw new UserError('input.quota', { limit });
}

/**
 * Manage Server (from the permissions Discord sent with the interaction) or the configured admin role, in the
 * interaction's own guild; checked on every use. Never in a DM. What it allows is decided by src/discord/admin.ts.
 */
export function isAdmin(interaction: BaseInteraction, adminRoleId: string | undefined): boolean {
  if (interaction.guildId === null) return false;
  if (interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild)) return true;
  const member: GuildMember | APIInteractionGuildMember | null = interaction.member;
  if (!adminRoleId || !member) return false;
  return Array.isArray(member.roles) ? member.roles.includes(adminRoleId) : member.roles.cache.has(adminRoleId);
}

export function callerOf(interaction: BaseInteraction, ctx: BotContext): Caller {
  return { userId: interaction.user.id, guildId: interaction.guildId, isAdmin: isAdmin(interaction, ctx.config.ADMIN_ROLE_ID) };
}

/** Answers autocomplete with up to 25 choices containing what the member typed. */
export async function suggest(interaction: AutocompleteInteraction, values: readonly string[]): Promise<void> {
  const typed = interaction.options.getFocused().toString().toLowerCase();
  const matches = values.filter((value) => value.toLowerCase().includes(typed)).slice(0, 25);
  await interaction.respond(matches.map((value) => ({ name: value.slice(0, 100), value: value.slice(0, 100) })));
}

/** Autocomplete for template/checkpoint/sampler/scheduler options, from the server's cached /object_info. */
export async function autocompleteFromServer(interaction: AutocompleteInteraction, ctx: BotContext, kind: JobKind): Promise<void> {
  const focused = interaction.options.getFocused(true).name;
  if (focused === 'template') {
    await suggest(interaction, [...ctx.templates.values()].filter((template) => template.command === kind && ctx.pool.fitness(template) !== 'unfit').map((template) => template.name));
    return;
  }
  const template = ctx.templates.get(interaction.options.getString('template') ?? defaultTemplate(ctx, kind));
  const spec = template?.params[focused];
  const node = spec ? template?.workflow[spec.node] : undefined;
  const values = spec && node ? await ctx.pool.comboValues(node.class_type, spec.input).catch(() => []) : [];
  await suggest(interaction, values);
}
