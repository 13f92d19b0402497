import { PermissionFlagsBits, type APIInteractionGuildMember, type BaseInteraction, type GuildMember } from 'discord.js';
import type { Requester } from '../service/jobs.js';

/**
 * Manage Server (from the permissions Discord sent with the interaction) or the configured admin role, in the
 * interaction's own guild; checked on every use. Never in a DM. What it allows is decided by src/policy/admin.ts.
 */
export function isAdmin(interaction: BaseInteraction, adminRoleId: string | undefined): boolean {
  if (interaction.guildId === null) return false;
  if (interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild)) return true;
  const member: GuildMember | APIInteractionGuildMember | null = interaction.member;
  if (!adminRoleId || !member) return false;
  return Array.isArray(member.roles) ? member.roles.includes(adminRoleId) : member.roles.cache.has(adminRoleId);
}

/** Who is asking, in the job service's terms. */
export function requesterOf(interaction: BaseInteraction, adminRoleId: string | undefined): Requester {
  return {
    userId: interaction.user.id, name: interaction.user.username, guildId: interaction.guildId, channelId: interaction.channelId,
    // A channel's category (a thread's channel), for per-category defaults; known when the channel is cached.
    categoryId: interaction.channel && 'parentId' in interaction.channel ? interaction.channel.parentId : null,
    isAdmin: isAdmin(interaction, adminRoleId), locale: interaction.locale,
    ...(interaction.guildLocale ? { guildLocale: interaction.guildLocale } : {}),
  };
}
