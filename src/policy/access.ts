import type { BaseInteraction } from 'discord.js';
import type { JobKind } from '../jobs/job.js';
import { UserError } from '../discord/user-error.js';

export interface AccessRules {
  /** Commands in DMs at all (ALLOW_DMS). */
  dms: boolean;
  guilds: readonly string[];
  channels: readonly string[];
  /** Roles allowed to use the bot at all (empty: everyone). */
  roles: readonly string[];
  /** Roles allowed per command (empty: as `roles`). */
  commandRoles: Readonly<Partial<Record<JobKind, readonly string[]>>>;
}

function memberRoles(interaction: BaseInteraction): string[] {
  const member = interaction.member;
  if (!member) return [];
  return Array.isArray(member.roles) ? member.roles : [...member.roles.cache.keys()];
}

/**
 * Why the bot refuses this member here, if it does: DMs unless allowed, then the configured guilds, channels and
 * roles (checked on every use). A DM belongs to no allowed guild or channel and has no roles, so any allowlist
 * refuses it too: who writes in a DM cannot be checked against them.
 */
export function accessRefusal(interaction: BaseInteraction, rules: AccessRules, kind: JobKind | undefined): UserError | undefined {
  if (interaction.guildId === null && !rules.dms) return new UserError('access.dm');
  if (rules.guilds.length > 0 && !rules.guilds.includes(interaction.guildId ?? '')) {
    return new UserError(interaction.guildId === null ? 'access.dm' : 'access.guild');
  }
  if (rules.channels.length > 0 && !rules.channels.includes(interaction.channelId ?? '')) {
    return new UserError('access.channel', { channels: rules.channels.map((id) => `<#${id}>`).join(', ') });
  }
  const needed = (kind && rules.commandRoles[kind]?.length ? rules.commandRoles[kind] : rules.roles) ?? [];
  if (needed.length > 0 && !memberRoles(interaction).some((role) => needed.includes(role))) {
    return new UserError('access.role', { command: kind ? `/${kind}` : 'this bot', roles: needed.map((id) => `<@&${id}>`).join(', ') });
  }
  return undefined;
}

export function checkAccess(interaction: BaseInteraction, rules: AccessRules, kind: JobKind | undefined): void {
  const refusal = accessRefusal(interaction, rules, kind);
  if (refusal) throw refusal;
}
