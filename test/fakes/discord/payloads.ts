/** Payload builders for the fake Discord: the minimal shapes real discord.js 14 accepts (discord-fake-notes.md). */

let counter = 0n;
/** 18/19-digit snowflakes: @discordjs/rest finds route majors with /\d{17,19}/. */
export function snowflake(): string {
  counter++;
  return (1300000000000000000n + BigInt(Date.now() % 1_000_000) * 1000n + counter).toString();
}

export const PERMISSIONS = {
  MANAGE_GUILD: 1n << 5n,
  VIEW_CHANNEL: 1n << 10n,
  SEND_MESSAGES: 1n << 11n,
  EMBED_LINKS: 1n << 14n,
  ATTACH_FILES: 1n << 15n,
  USE_APPLICATION_COMMANDS: 1n << 31n,
};
export const MEMBER_PERMISSIONS = (PERMISSIONS.VIEW_CHANNEL | PERMISSIONS.SEND_MESSAGES | PERMISSIONS.EMBED_LINKS | PERMISSIONS.ATTACH_FILES | PERMISSIONS.USE_APPLICATION_COMMANDS).toString();
export const MANAGER_PERMISSIONS = (BigInt(MEMBER_PERMISSIONS) | PERMISSIONS.MANAGE_GUILD).toString();

export interface FakeUser {
  id: string;
  username: string;
  /** The member's Discord client language (en-US unless given). */
  locale?: string;
  roles?: string[];
  permissions?: string;
}

export function userPayload(user: FakeUser) {
  return { id: user.id, username: user.username, discriminator: '0', avatar: null, global_name: user.username };
}

export interface Attachment {
  id: string;
  filename: string;
  size: number;
  url: string;
  proxy_url: string;
  content_type: string;
  width?: number;
  height?: number;
}

export function messagePayload(fields: { id: string; channelId: string; author: ReturnType<typeof userPayload>; content: string; embeds: unknown[]; attachments: Attachment[]; flags: number }) {
  return {
    id: fields.id, channel_id: fields.channelId, author: { ...fields.author, bot: true }, content: fields.content,
    timestamp: new Date().toISOString(), edited_timestamp: null, tts: false, mention_everyone: false, mentions: [], mention_roles: [],
    attachments: fields.attachments, embeds: fields.embeds, pinned: false, type: 0, flags: fields.flags, components: [],
  };
}

export interface InteractionContext {
  appId: string;
  /** null: a direct message with the bot (no guild_id, no member, `user` at top level). */
  guildId: string | null;
  channelId: string;
  user: FakeUser;
  attachmentSizeLimit: number;
  /** The server's language (en-US unless given). */
  guildLocale?: string;
}

export function interactionPayload(type: 2 | 3 | 4 | 5, context: InteractionContext, data: Record<string, unknown>) {
  const where = context.guildId === null ? dmFields(context) : guildFields(context, context.guildId);
  return {
    id: snowflake(), application_id: context.appId, type, token: `tok-${snowflake()}`, version: 1, channel_id: context.channelId, ...where,
    app_permissions: MANAGER_PERMISSIONS, locale: context.user.locale ?? 'en-US', attachment_size_limit: context.attachmentSizeLimit, entitlements: [],
    data: { id: snowflake(), type: 1, ...data },
  };
}

function guildFields(context: InteractionContext, guildId: string) {
  const { user } = context;
  return {
    guild_id: guildId, guild_locale: context.guildLocale ?? 'en-US', context: 0, authorizing_integration_owners: { '0': guildId },
    channel: { id: context.channelId, type: 0, name: 'general', guild_id: guildId },
    member: {
      user: userPayload(user), roles: user.roles ?? [], joined_at: '2025-01-01T00:00:00.000Z', permissions: user.permissions ?? MEMBER_PERMISSIONS,
      deaf: false, mute: false, flags: 0, nick: null, avatar: null, premium_since: null, pending: false, communication_disabled_until: null,
    },
  };
}

/** A DM with the bot (guild install): the user at top level, a DM channel, context 1 (BOT_DM). */
function dmFields(context: InteractionContext) {
  return {
    user: userPayload(context.user), context: 1, authorizing_integration_owners: { '0': '0' },
    channel: { id: context.channelId, type: 1, recipients: [userPayload(context.user)] },
  };
}
