import { Events, type Client } from 'discord.js';
import { commands } from '../commands/index.js';
import { registerCommands } from '../discord/register.js';
import type { Logger } from '../log.js';

export interface Registration {
  appId: string;
  /** Commands go to this guild only (instant); globally otherwise. */
  guildId: string | undefined;
  dataDir: string;
}

export function onReady(client: Client, deps: { logger: Logger; registration: Registration }): void {
  const { logger, registration } = deps;
  client.once(Events.ClientReady, (ready) => {
    logger.info({ user: ready.user.tag, guilds: ready.guilds.cache.size }, 'logged in to Discord');
    registerCommands(ready.rest, registration.appId, registration.guildId, commands, registration.dataDir)
      .then((outcome) => logger.info({ outcome, scope: registration.guildId ?? 'global' }, 'slash commands'))
      .catch((error: unknown) => logger.error({ err: error }, 'could not register slash commands; run npm run register'));
  });
}
