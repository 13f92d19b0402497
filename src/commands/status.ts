import { MessageFlags, SlashCommandBuilder } from 'discord.js';
import type { ServerStatus } from '../comfy/pool.js';
import type { Messages } from '../discord/messages.js';
import type { BotStatus } from '../service/jobs.js';
import type { Command } from './command.js';

function duration({ say }: Messages, ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return say('time.minutes', { n: minutes });
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? say('time.hours', { h: hours, m: minutes % 60 }) : say('time.days', { d: Math.floor(hours / 24), h: hours % 24 });
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

function serverLine({ say }: Messages, server: ServerStatus): string {
  if (!server.up) return say('status.down', { label: server.label });
  const details = [
    server.gpu ? say('status.gpu', { gpu: server.gpu }) : undefined,
    server.vramTotal ? say('status.vram', { free: gib(server.vramFree ?? 0), total: gib(server.vramTotal) }) : undefined,
    server.queued !== undefined ? say('status.queue', { count: server.queued }) : undefined,
    server.version ? say('status.version', { version: server.version }) : undefined,
  ].filter((part) => part !== undefined);
  return say('status.up', { label: server.label, details: details.join(' · ') });
}

export function renderStatus(messages: Messages, status: BotStatus): string {
  return [
    ...status.servers.map((server) => serverLine(messages, server)),
    messages.say('status.bot', { waiting: status.waiting, inFlight: status.inFlight, uptime: duration(messages, status.uptimeMs) }),
  ].join('\n');
}

export const status = {
  data: new SlashCommandBuilder().setName('status').setDescription('The ComfyUI servers and the bot: up or down, GPU, queues').toJSON(),
  async execute(interaction, { jobs, messages }, caller) {
    // It asks every server, like /queue, so it spends the same allowance.
    jobs.admitQueueAsk(caller);
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    await interaction.editReply({ content: renderStatus(messages, await jobs.status()), allowedMentions: { parse: [] } });
  },
} satisfies Command;
