import { z } from 'zod';
import { compareCommands } from './commands-current.js';
import { fail, ok, warn, type Check } from './check.js';
import { channelPermissions, guildPermissions, inviteUrl, missingPermissions, type Member, type Overwrite } from './permissions.js';

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

type Reply = { status: number; body: unknown };

/** How many of the bot's servers are looked at when no guild is configured. */
const MAX_GUILDS_CHECKED = 10;
const TEXT_CHANNEL_TYPES = new Set([0, 5, 15]);

/** Checks what the bot needs of Discord, in the order a newcomer fixes it: token, application, servers and channels, commands. */
export async function checkDiscord(settings: DiscordSettings, ours: ReadonlyArray<{ name: string }>): Promise<Check[]> {
  const api = `${settings.DISCORD_API_URL.replace(/\/$/, '')}/v10`;
  const get = async (path: string): Promise<Reply> => {
    const response = await fetch(`${api}${path}`, { headers: { authorization: `Bot ${settings.DISCORD_TOKEN}` }, signal: AbortSignal.timeout(15_000) });
    return { status: response.status, body: await response.json().catch(() => undefined) };
  };
  const checks: Check[] = [];
  let me: Reply;
  try {
    me = await get('/users/@me');
  } catch (error) {
    return [fail(`could not reach Discord at ${settings.DISCORD_API_URL} (${(error as Error).message}); check the network, or DISCORD_API_URL if set`)];
  }
  if (me.status === 401) return [fail('Discord refused DISCORD_TOKEN; copy a fresh one from the Developer Portal → your app → Bot → Reset Token')];
  const user = UserSchema.safeParse(me.body);
  if (me.status !== 200 || !user.success) return [fail(`Discord answered ${me.status} to GET /users/@me; try again later`)];
  checks.push(ok(`the Discord token works: logged in as ${user.data.username} (${user.data.id})`));

  const application = ApplicationSchema.safeParse((await get('/applications/@me')).body);
  const appId = application.success ? application.data.id : user.data.id;
  if (appId !== settings.DISCORD_APP_ID) {
    checks.push(fail(`DISCORD_APP_ID is ${settings.DISCORD_APP_ID} but the token belongs to application ${appId}${application.success ? ` (${application.data.name})` : ''}; copy the Application ID from the Developer Portal → that app → General Information`));
  } else {
    checks.push(ok(`DISCORD_APP_ID matches the token's application${application.success && application.data.name ? ` (${application.data.name})` : ''}`));
  }

  const configured = [...new Set([settings.DISCORD_GUILD_ID, ...settings.ALLOWED_GUILD_IDS].filter((id): id is string => id !== undefined))];
  let guildIds = configured;
  if (guildIds.length === 0) {
    const list = z.array(PartialGuildSchema).safeParse((await get('/users/@me/guilds')).body);
    guildIds = list.success ? list.data.slice(0, MAX_GUILDS_CHECKED).map((guild) => guild.id) : [];
    if (guildIds.length === 0) checks.push(fail(`the bot is in no server; invite it: ${inviteUrl(appId)}`));
  }
  const seenChannels = new Set<string>();
  for (const guildId of guildIds) checks.push(...await checkGuild(get, guildId, user.data.id, appId, settings.ALLOWED_CHANNEL_IDS, seenChannels));
  for (const channelId of settings.ALLOWED_CHANNEL_IDS.filter((id) => !seenChannels.has(id))) {
    checks.push(fail(`allowed channel ${channelId} is in none of the checked servers, or the bot cannot see it; fix ALLOWED_CHANNEL_IDS (or add its server to DISCORD_GUILD_ID / ALLOWED_GUILD_IDS)`));
  }
  checks.push(await checkCommands(get, appId, settings.DISCORD_GUILD_ID, ours));
  return checks;
}

async function checkGuild(get: (path: string) => Promise<Reply>, guildId: string, botId: string, appId: string, allowedChannels: readonly string[], seen: Set<string>): Promise<Check[]> {
  const reply = await get(`/guilds/${guildId}`);
  const guild = GuildSchema.safeParse(reply.body);
  if (reply.status === 403 || reply.status === 404) return [fail(`the bot is not in server ${guildId}; invite it: ${inviteUrl(appId, guildId)}`)];
  if (reply.status !== 200 || !guild.success) return [fail(`Discord answered ${reply.status} for server ${guildId}; try again later`)];
  const memberReply = MemberSchema.safeParse((await get(`/guilds/${guildId}/members/${botId}`)).body);
  const member: Member = { userId: botId, roleIds: memberReply.success ? memberReply.data.roles : [], isOwner: guild.data.owner_id === botId };
  const base = guildPermissions(guildId, guild.data.roles, member);
  const name = guild.data.name || guildId;
  const checks: Check[] = [];
  const lacking = missingPermissions(base);
  checks.push(lacking.length === 0
    ? ok(`the bot is in ${name} with View Channel, Send Messages, Embed Links and Attach Files`)
    : fail(`in ${name} the bot lacks ${lacking.join(', ')}; give its role these permissions (Server Settings → Roles), or invite it again: ${inviteUrl(appId, guildId)}`));
  const channels = z.array(ChannelSchema).safeParse((await get(`/guilds/${guildId}/channels`)).body);
  if (!channels.success) return checks;
  const wanted = new Set(allowedChannels);
  for (const channel of channels.data.filter((candidate) => wanted.has(candidate.id))) {
    seen.add(channel.id);
    // A category stands for the text channels in it.
    const targets = channel.type === 4 ? channels.data.filter((child) => child.parent_id === channel.id && TEXT_CHANNEL_TYPES.has(child.type)) : [channel];
    for (const target of targets) {
      const overwrites: Overwrite[] = target.permission_overwrites;
      const missing = missingPermissions(channelPermissions(guildId, base, overwrites, member));
      const label = `#${target.name ?? target.id}`;
      checks.push(missing.length === 0
        ? ok(`${label}: the bot can post results there`)
        : fail(`in ${label} the bot lacks ${missing.join(', ')}${lacking.length === 0 ? ' (a channel permission overwrite takes it away)' : ''}; allow them for the bot in Edit Channel → Permissions`));
    }
  }
  return checks;
}

async function checkCommands(get: (path: string) => Promise<Reply>, appId: string, guildId: string | undefined, ours: ReadonlyArray<{ name: string }>): Promise<Check> {
  const where = guildId ? `in server ${guildId}` : 'globally';
  const reply = await get(guildId ? `/applications/${appId}/guilds/${guildId}/commands` : `/applications/${appId}/commands`);
  const registered = z.array(CommandSchema).safeParse(reply.body);
  if (reply.status !== 200 || !registered.success) return fail(`could not read the registered commands ${where} (Discord answered ${reply.status})`);
  const { missing, outdated, stale } = compareCommands(ours, registered.data);
  const fix = 'start the bot (it registers them), or run FORCE=1 npm run register';
  if (missing.length > 0) return fail(`commands not registered ${where}: ${missing.map((name) => `/${name}`).join(', ')}; ${fix}`);
  if (outdated.length > 0) return fail(`commands registered ${where} differ from this version's: ${outdated.map((name) => `/${name}`).join(', ')}; ${fix}`);
  if (stale.length > 0) return warn(`commands registered ${where} that this version no longer has: ${stale.map((name) => `/${name}`).join(', ')}; npm run register replaces them`);
  return ok(`all ${ours.length} commands are registered ${where} and current`);
}
