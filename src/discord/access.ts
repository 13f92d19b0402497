import type { BaseInteraction } from 'discord.js';
import type { JobKind } from '../jobs/job.js';
import { UserError } from './user-error.js';

export interface AccessRules {
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

/** Refuses members outside the configured guilds, channels and roles (checked on every use). */
export function checkAccess(interaction: BaseInteraction, rules: AccessRules, kind: JobKind | undefined): void {
  if (rules.guilds.length > 0 && !rules.guilds.includes(interaction.guildId ?? '')) throw new UserError('access.guild');
  if (rules.channels.length > 0 && !rules.channels.includes(interaction.channelId ?? '')) {
    throw new UserError('access.channel', { channels: rules.channels.map((id) => `<#${id}>`).join(', ') });
  }
  const needed = (kind && rules.commandRoles[kind]?.length ? rules.commandRoles[kind] : rules.roles) ?? [];
  if (needed.length > 0 && !memberRoles(interaction).some((role) => needed.includes(role))) {
    throw new UserError('access.role', { command: kind ? `/${kind}` : 'this bot', roles: needed.map((id) => `<@&${id}>`).join(', ') });
  }
}
