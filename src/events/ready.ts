import { Events, type Client } from 'discord.js';
import { commands } from '../commands/index.js';
import type { BotContext } from '../context.js';
import { registerCommands } from '../discord/register.js';

export function onReady(client: Client, ctx: BotContext): void {
  client.once(Events.ClientReady, (ready) => {
    ctx.logger.info({ user: ready.user.tag, guilds: ready.guilds.cache.size }, 'logged in to Discord');
    registerCommands(ready.rest, ctx.config.DISCORD_APP_ID, ctx.config.DISCORD_GUILD_ID, commands, ctx.config.DATA_DIR)
      .then((outcome) => ctx.logger.info({ outcome, scope: ctx.config.DISCORD_GUILD_ID ?? 'global' }, 'slash commands'))
      .catch((error: unknown) => ctx.logger.error({ err: error }, 'could not register slash commands; run npm run register'));
  });
}
