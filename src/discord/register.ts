import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Routes, type REST } from 'discord.js';
import type { Command } from '../commands/command.js';

export type RegisterOutcome = 'registered' | 'unchanged';

/**
 * Registers the commands guild-scoped (instant) when a guild is given, global otherwise — and only when their
 * definitions changed since the last registration, since Discord caps command creates at 200 a day. `force`
 * sends them anyway (someone changed them on Discord's side, or another copy of the bot registered its own).
 */
export async function registerCommands(rest: REST, appId: string, guildId: string | undefined, commands: readonly Command[], dataDir: string, force = false): Promise<RegisterOutcome> {
  const body = commands.map((command) => command.data);
  const scope = guildId ? `guild-${guildId}` : 'global';
  const fingerprint = createHash('sha256').update(JSON.stringify({ appId, body })).digest('hex');
  const file = join(dataDir, `commands-${scope}.sha256`);
  const previous = await readFile(file, 'utf8').catch(() => '');
  if (previous.trim() === fingerprint && !force) return 'unchanged';
  await rest.put(guildId ? Routes.applicationGuildCommands(appId, guildId) : Routes.applicationCommands(appId), { body });
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${fingerprint}\n`);
  return 'registered';
}
