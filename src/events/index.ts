import type { Client } from 'discord.js';
import { onInteractionCreate, type RouterDeps } from './interaction-create.js';
import { onReady, type Registration } from './ready.js';

/** Every Discord event handler, bound in one place. */
export function bindEvents(client: Client, deps: RouterDeps & { registration: Registration }): void {
  onReady(client, deps);
  onInteractionCreate(client, deps);
}
