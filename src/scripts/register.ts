import { REST } from 'discord.js';
import { z } from 'zod';
import { commands } from '../commands/index.js';
import { BotConfigSchema } from '../config.js';
import { loadConfigOrExit } from '../settings.js';
import { registerCommands } from '../discord/register.js';
import { loadEnvFile } from '../env.js';

/** `npm run register`: guild-scoped when DISCORD_GUILD_ID is set (instant), global otherwise; only if changed, unless FORCE=1. */
loadEnvFile();
const config = loadConfigOrExit(BotConfigSchema.pick({ DISCORD_TOKEN: true, DISCORD_APP_ID: true, DISCORD_GUILD_ID: true, DISCORD_API_URL: true, DATA_DIR: true }).extend({ FORCE: z.string().optional() }));
const rest = new REST({ api: config.DISCORD_API_URL }).setToken(config.DISCORD_TOKEN);
try {
  const outcome = await registerCommands(rest, config.DISCORD_APP_ID, config.DISCORD_GUILD_ID, commands, config.DATA_DIR, config.FORCE === '1' || config.FORCE === 'true');
  const where = config.DISCORD_GUILD_ID ? `in guild ${config.DISCORD_GUILD_ID} (visible now)` : 'globally (may take up to an hour to appear)';
  process.stdout.write(outcome === 'registered'
    ? `Registered ${commands.length} commands ${where}: ${commands.map((command) => `/${command.data.name}`).join(', ')}\n`
    : `Commands unchanged since the last registration ${where}; nothing sent.\n`);
} catch (error) {
  process.stderr.write(`register failed: ${(error as Error).message}\n`);
  process.exit(1);
}
