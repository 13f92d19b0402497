import { escapeMarkdown } from 'discord.js';

/**
 * Member text as typed, never rendered: markdown escaped, and every square bracket too, so `[Free Nitro](https://…)`
 * cannot become a masked link (discord.js's own `maskedLink` option escapes only the first link of a line).
 */
export function shown(text: string): string {
  return escapeMarkdown(text, { heading: true, bulletedList: true, numberedList: true }).replace(/[[\]]/g, '\\$&');
}
