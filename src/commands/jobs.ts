import { MessageFlags, SlashCommandBuilder } from 'discord.js';
import type { Job } from '../jobs/job.js';
import type { Messages } from '../discord/messages.js';
import { shown } from '../discord/escape.js';
import type { Command } from './command.js';

const PROMPT_SHOWN = 60;

/** Where a job's result (or, before it, its reply) is in Discord, as a link; undefined when it is not known. */
function linkOf(job: Job): string | undefined {
  const messageId = job.deliveryMessageId ?? job.messageId;
  const target = job.deliveryTarget ?? 'original';
  const channelId = target === 'original' ? job.origin.channelId : target.slice(target.indexOf(':') + 1);
  if (!messageId || !channelId) return undefined;
  const place = target.startsWith('dm:') || job.origin.guildId === null ? '@me' : job.origin.guildId;
  return `https://discord.com/channels/${place}/${channelId}/${messageId}`;
}

function line({ say }: Messages, job: Job): string {
  const prompt = typeof job.params['prompt'] === 'string' ? [...job.params['prompt']] : [];
  const text = prompt.length > PROMPT_SHOWN ? `${prompt.slice(0, PROMPT_SHOWN - 1).join('')}…` : prompt.join('');
  const link = linkOf(job);
  return say('jobs.line', {
    id: job.id, command: `/${job.kind}`, state: say(`state.${job.state}`), at: Math.floor(job.createdAt / 1000),
    prompt: text ? `“${shown(text)}”` : '', link: link ? say('jobs.link', { url: link }) : '',
  });
}

export const jobs = {
  data: new SlashCommandBuilder()
    .setName('jobs').setDescription('Your latest jobs, with links to their results')
    .addUserOption((o) => o.setName('member').setDescription('Admins: another member of this server'))
    .toJSON(),
  async execute(interaction, deps, caller) {
    // The id alone: Discord's resolved user is not needed, and not always sent.
    const member = interaction.options.get('member')?.value;
    const list = deps.jobs.jobsOf(caller, typeof member === 'string' ? member : undefined);
    await interaction.reply({
      content: list.length === 0 ? deps.messages.say('jobs.none') : list.map((job) => line(deps.messages, job)).join('\n'),
      flags: MessageFlags.Ephemeral | MessageFlags.SuppressEmbeds, allowedMentions: { parse: [] },
    });
  },
} satisfies Command;
