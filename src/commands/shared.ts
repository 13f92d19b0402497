import {
  PermissionFlagsBits, type AutocompleteInteraction, type BaseInteraction, type ChatInputCommandInteraction, type GuildMember, type APIInteractionGuildMember,
} from 'discord.js';
import type { InputImage } from '../comfy/runner.js';
import type { BotContext } from '../context.js';
import type { Caller } from '../policy/admin.js';
import type { Job, JobKind } from '../jobs/job.js';
import type { Requester } from '../service/jobs.js';

const DEFAULT_ATTACHMENT_LIMIT = 10 * 1024 * 1024;

/** The template a command uses when none is named: chosen at start (and when servers change), and logged. */
function defaultTemplate(ctx: BotContext, kind: JobKind): string {
  return ctx.defaults[kind];
}

/** Who is asking, in the job service's terms. */
function requesterOf(interaction: BaseInteraction, ctx: BotContext): Requester {
  return { ...callerOf(interaction, ctx), name: interaction.user.username, channelId: interaction.channelId };
}

/**
 * A slash command's job, handed to the job service: it answers privately if it refuses, and the command's reply
 * becomes public only once the job is accepted (or the checks take long enough that Discord must hear something).
 */
export async function submitJob(
  interaction: ChatInputCommandInteraction,
  ctx: BotContext,
  kind: JobKind,
  template: string | undefined,
  params: Record<string, string | number | boolean>,
  fetchInput?: () => Promise<InputImage>,
): Promise<Job> {
  const defer = async (): Promise<void> => {
    if (!interaction.deferred) await interaction.deferReply();
  };
  return ctx.jobs.submit({
    kind, template, params, requester: requesterOf(interaction, ctx),
    reply: {
      interactionId: interaction.id, interactionToken: interaction.token,
      attachmentLimit: (interaction as { attachmentSizeLimit?: number }).attachmentSizeLimit ?? DEFAULT_ATTACHMENT_LIMIT,
    },
    ...(fetchInput ? { fetchInput } : {}),
    whenSlow: defer,
    beforeQueue: defer,
  });
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
