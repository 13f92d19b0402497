import type { Client } from 'discord.js';
import type { BotContext } from '../context.js';
import { onInteractionCreate } from './interaction-create.js';
import { onReady } from './ready.js';

/** Every Discord event handler, bound in one place. */
export function bindEvents(client: Client, ctx: BotContext): void {
  for (const bind of [onReady, onInteractionCreate]) bind(client, ctx);
}
