import { PermissionFlagsBits } from 'discord.js';

/** What the bot needs wherever it answers: see the channel, post, post embeds, attach the pictures. */
export const NEEDED_PERMISSIONS = {
  'View Channel': PermissionFlagsBits.ViewChannel,
  'Send Messages': PermissionFlagsBits.SendMessages,
  'Embed Links': PermissionFlagsBits.EmbedLinks,
  'Attach Files': PermissionFlagsBits.AttachFiles,
} as const;

/**
 * The permission integer for the invite link: the needed ones and Read Message History, which lets the bot find a
 * result it already posted when it restarts mid-upload (without it, that check is skipped).
 */
export const INVITE_PERMISSIONS = Object.values(NEEDED_PERMISSIONS).reduce((all, bit) => all | bit, PermissionFlagsBits.ReadMessageHistory);

export interface Role {
  id: string;
  permissions: bigint;
}

export interface Overwrite {
  id: string;
  /** 0 a role, 1 a member. */
  type: number;
  allow: bigint;
  deny: bigint;
}

export interface Member {
  userId: string;
  roleIds: readonly string[];
  isOwner: boolean;
}

const ALL = ~0n & ((1n << 64n) - 1n);

/** The member's permissions in the guild: @everyone (the role whose id is the guild's) and each of their roles; Administrator is everything. */
export function guildPermissions(guildId: string, roles: readonly Role[], member: Member): bigint {
  if (member.isOwner) return ALL;
  const held = new Set([guildId, ...member.roleIds]);
  const base = roles.filter((role) => held.has(role.id)).reduce((all, role) => all | role.permissions, 0n);
  return base & PermissionFlagsBits.Administrator ? ALL : base;
}

/** Discord's order: @everyone's overwrite, then all the member's roles' overwrites together, then the member's own. */
export function channelPermissions(guildId: string, base: bigint, overwrites: readonly Overwrite[], member: Member): bigint {
  if (base === ALL) return ALL;
  let permissions = base;
  const everyone = overwrites.find((overwrite) => overwrite.type === 0 && overwrite.id === guildId);
  if (everyone) permissions = (permissions & ~everyone.deny) | everyone.allow;
  const roleIds = new Set(member.roleIds);
  const roles = overwrites.filter((overwrite) => overwrite.type === 0 && roleIds.has(overwrite.id));
  permissions = (permissions & ~roles.reduce((all, overwrite) => all | overwrite.deny, 0n)) | roles.reduce((all, overwrite) => all | overwrite.allow, 0n);
  const own = overwrites.find((overwrite) => overwrite.type === 1 && overwrite.id === member.userId);
  if (own) permissions = (permissions & ~own.deny) | own.allow;
  return permissions;
}

/** The needed permissions that `permissions` lacks, by name. */
export function missingPermissions(permissions: bigint): string[] {
  return Object.entries(NEEDED_PERMISSIONS).filter(([, bit]) => (permissions & bit) === 0n).map(([name]) => name);
}

export function inviteUrl(appId: string, guildId?: string): string {
  const guild = guildId ? `&guild_id=${guildId}&disable_guild_select=true` : '';
  return `https://discord.com/oauth2/authorize?client_id=${appId}&scope=bot+applications.commands&permissions=${INVITE_PERMISSIONS}${guild}`;
}
