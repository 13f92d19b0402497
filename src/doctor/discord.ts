import { z } from 'zod';
import { compareCommands } from './commands-current.js';
import { fail, ok, warn, type Check } from './check.js';
import { channelPermissions, guildPermissions, inviteUrl, missingPermissions, type Member } from './permissions.js';

export interface DiscordSettings {
  DISCORD_TOKEN: string;
  DISCORD_APP_ID: string;
  DISCORD_GUILD_ID?: string | undefined;
  DISCORD_API_URL: string;
  ALLOWED_GUILD_IDS: readonly string[];
  ALLOWED_CHANNEL_IDS: readonly string[];
}

const bits = z.union([z.string(), z.number()]).transform((value) => BigInt(value));
const UserSchema = z.looseObject({ id: z.string(), username: z.string() });
const ApplicationSchema = z.looseObject({ id: z.string(), name: z.string().catch('') });
const PartialGuildSchema = z.looseObject({ id: z.string(), name: z.string().catch('') });
const GuildSchema = z.looseObject({ id: z.string(), name: z.string().catch(''), owner_id: z.string().catch(''), roles: z.array(z.looseObject({ id: z.string(), permissions: bits })) });
const MemberSchema = z.looseObject({ roles: z.array(z.string()) });
const OverwriteSchema = z.looseObject({ id: z.string(), type: z.coerce.number(), allow: bits, deny: bits });
const ChannelSchema = z.looseObject({ id: z.string(), name: z.string().nullish(), type: z.number(), parent_id: z.string().nullish(), permission_overwrites: z.array(OverwriteSchema).default([]) });
const CommandSchema = z.looseObject({ name: z.string() });

/** An answer from Discord; status 0 when none came (the network, a timeout), with why in `error`. */
type Reply = { status: number; body: unknown; error?: string };
type Get = (path: string) => Promise<Reply>;

/** How many of the bot's servers are looked at when no guild is configured. */
const MAX_GUILDS_CHECKED = 10;
const CATEGORY = 4;

const answered = (reply: Reply): string => (reply.status === 0 ? `no answer: ${reply.error ?? 'unknown error'}` : `Discord answered ${reply.status}`);

/** Checks what the bot needs of Discord, in the order a newcomer fixes it: token, application, servers and channels, commands. */
export async function checkDiscord(settings: DiscordSettings, ours: ReadonlyArray<{ name: string }>): Promise<Check[]> {
  const api = `${settings.DISCORD_API_URL.replace(/\/$/, '')}/v10`;
  // Never throws: a check that gets no answer says so, and the others still run.
  const get: Get = async (path) => {
    try {
      const response = await fetch(`${api}${path}`, { headers: { authorization: `Bot ${settings.DISCORD_TOKEN}` }, signal: AbortSignal.timeout(15_000) });
      return { status: response.status, body: await response.json().catch(() => undefined) };
    } catch (error) {
      return { status: 0, body: undefined, error: error instanceof Error ? error.message : String(error) };
    }
  };
  const checks: Check[] = [];
  const me = await get('/users/@me');
  if (me.status === 0) return [fail(`could not reach Discord at ${settings.DISCORD_API_URL} (${me.error ?? 'no answer'}); check the network, or DISCORD_API_URL if set`)];
  if (me.status === 401) return [fail('Discord refused DISCORD_TOKEN; copy a fresh one from the Developer Portal → your app → Bot → Reset Token')];
  const user = UserSchema.safeParse(me.body);
  if (me.status !== 200 || !user.success) return [fail(`Discord answered ${me.status} to GET /users/@me; try again later`)];
  checks.push(ok(`the Discord token works: logged in as ${user.data.username} (${user.data.id})`));

  const appReply = await get('/applications/@me');
  const application = ApplicationSchema.safeParse(appReply.body);
  // Without an answer, the bot user's id stands in (they are the same for every application made since 2020).
  const appId = appReply.status === 200 && application.success ? application.data.id : user.data.id;
  if (appReply.status !== 200 || !application.success) {
    checks.push(warn(`could not read the token's application (${answered(appReply)}), so DISCORD_APP_ID is not checked; run doctor again later`));
  } else if (appId !== settings.DISCORD_APP_ID) {
    checks.push(fail(`DISCORD_APP_ID is ${settings.DISCORD_APP_ID} but the token belongs to application ${appId} (${application.data.name}); copy the Application ID from the Developer Portal → that app → General Information`));
  } else {
    checks.push(ok(`DISCORD_APP_ID matches the token's application${application.data.name ? ` (${application.data.name})` : ''}`));
  }

  const configured = [...new Set([settings.DISCORD_GUILD_ID, ...settings.ALLOWED_GUILD_IDS].filter((id): id is string => id !== undefined))];
  let guildIds = configured;
  if (guildIds.length === 0) {
    const reply = await get('/users/@me/guilds');
    const list = z.array(PartialGuildSchema).safeParse(reply.body);
    guildIds = reply.status === 200 && list.success ? list.data.slice(0, MAX_GUILDS_CHECKED).map((guild) => guild.id) : [];
    if (reply.status !== 200 || !list.success) checks.push(fail(`could not list the bot's servers (${answered(reply)}); run doctor again later`));
    else if (guildIds.length === 0) checks.push(fail(`the bot is in no server; invite it: ${inviteUrl(appId)}`));
  }
  const seenChannels = new Set<string>();
  for (const guildId of guildIds) checks.push(...await checkGuild(get, guildId, user.data.id, appId, settings.ALLOWED_CHANNEL_IDS, seenChannels));
  for (const channelId of settings.ALLOWED_CHANNEL_IDS.filter((id) => !seenChannels.has(id))) {
    checks.push(fail(`allowed channel ${channelId} is in none of the checked servers, or the bot cannot see it; fix ALLOWED_CHANNEL_IDS (or add its server to DISCORD_GUILD_ID / ALLOWED_GUILD_IDS)`));
  }
  checks.push(await checkCommands(get, appId, settings.DISCORD_GUILD_ID, ours));
  return checks;
}

async function checkGuild(get: Get, guildId: string, botId: string, appId: string, allowedChannels: readonly string[], seen: Set<string>): Promise<Check[]> {
  const reply = await get(`/guilds/${guildId}`);
  const guild = GuildSchema.safeParse(reply.body);
  if (reply.status === 403 || reply.status === 404) return [fail(`the bot is not in server ${guildId}; invite it: ${inviteUrl(appId, guildId)}`)];
  if (reply.status !== 200 || !guild.success) return [fail(`could not read server ${guildId} (${answered(reply)}); run doctor again later`)];
  const name = guild.data.name || guildId;
  const memberReply = await get(`/guilds/${guildId}/members/${botId}`);
  const memberRoles = MemberSchema.safeParse(memberReply.body);
  // Without its roles, the bot's permissions cannot be worked out: say so rather than report missing permissions.
  if (memberReply.status !== 200 || !memberRoles.success) return [fail(`could not read the bot's roles in ${name} (${answered(memberReply)}); run doctor again later`)];
  const member: Member = { userId: botId, roleIds: memberRoles.data.roles, isOwner: guild.data.owner_id === botId };
  const base = guildPermissions(guildId, guild.data.roles, member);
  const checks: Check[] = [];
  const lacking = missingPermissions(base);
  checks.push(lacking.length === 0
    ? ok(`the bot is in ${name} with View Channel, Send Messages, Embed Links and Attach Files`)
    : fail(`in ${name} the bot lacks ${lacking.join(', ')}; give its role these permissions (Server Settings → Roles), or invite it again: ${inviteUrl(appId, guildId)}`));
  if (allowedChannels.length === 0) return checks;
  const channelsReply = await get(`/guilds/${guildId}/channels`);
  const channels = z.array(ChannelSchema).safeParse(channelsReply.body);
  if (channelsReply.status !== 200 || !channels.success) return [...checks, fail(`could not read the channels of ${name} (${answered(channelsReply)}); run doctor again later`)];
  const wanted = new Set(allowedChannels);
  for (const channel of channels.data.filter((candidate) => wanted.has(candidate.id))) {
    seen.add(channel.id);
    const label = `#${channel.name ?? channel.id}`;
    if (channel.type === CATEGORY) {
      // The bot answers only in the channels listed (src/policy/access.ts), not in every channel of a category.
      checks.push(fail(`allowed channel ${channel.id} (${channel.name ?? 'a category'}) is a category; the bot answers only in channels listed themselves, so list the channels in ALLOWED_CHANNEL_IDS`));
      continue;
    }
    const missing = missingPermissions(channelPermissions(guildId, base, channel.permission_overwrites, member));
    checks.push(missing.length === 0
      ? ok(`${label}: the bot can post results there`)
      : fail(`in ${label} the bot lacks ${missing.join(', ')}${lacking.length === 0 ? ' (a channel permission overwrite takes it away)' : ''}; allow them for the bot in Edit Channel → Permissions`));
  }
  return checks;
}

async function checkCommands(get: Get, appId: string, guildId: string | undefined, ours: ReadonlyArray<{ name: string }>): Promise<Check> {
  const where = guildId ? `in server ${guildId}` : 'globally';
  // Discord leaves the localized names and descriptions out unless asked; ours carry them.
  const reply = await get(`${guildId ? `/applications/${appId}/guilds/${guildId}/commands` : `/applications/${appId}/commands`}?with_localizations=true`);
  const registered = z.array(CommandSchema).safeParse(reply.body);
  if (reply.status !== 200 || !registered.success) return fail(`could not read the registered commands ${where} (${answered(reply)}); run doctor again later`);
  const { missing, outdated, stale } = compareCommands(ours, registered.data);
  const fix = 'start the bot (it registers them), or run FORCE=1 npm run register';
  if (missing.length > 0) return fail(`commands not registered ${where}: ${missing.map((name) => `/${name}`).join(', ')}; ${fix}`);
  if (outdated.length > 0) return fail(`commands registered ${where} differ from this version's: ${outdated.map((name) => `/${name}`).join(', ')}; ${fix}`);
  if (stale.length > 0) return warn(`commands registered ${where} that this version no longer has: ${stale.map((name) => `/${name}`).join(', ')}; npm run register replaces them`);
  return ok(`all ${ours.length} commands are registered ${where} and current`);
}
