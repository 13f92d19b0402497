import { SlashCommandBuilder } from 'discord.js';
import { z } from 'zod';
import { text } from './options.js';
import { replyTo, suggest } from './shared.js';
import type { Command } from './command.js';

const OptionsSchema = z.object({ job: text('job', 32).pipe(z.string().min(1, 'name a job (its id is in /jobs)')) });

export const show = {
  data: new SlashCommandBuilder()
    .setName('show').setDescription('Post a finished job again, with its buttons')
    .addStringOption((o) => o.setName('job').setDescription('Job id (from /jobs)').setRequired(true).setAutocomplete(true).setMaxLength(32))
    .toJSON(),
  async execute(interaction, { jobs }, caller) {
    const { job: id } = OptionsSchema.parse({ job: interaction.options.getString('job')?.trim() });
    const job = jobs.showable(caller, id);
    // The files come from ComfyUI, which takes longer than Discord's 3 seconds allow before an answer.
    await interaction.deferReply();
    await jobs.show(job, replyTo(interaction));
  },
  async autocomplete(interaction, { jobs }, caller) {
    await suggest(interaction, jobs.jobsOf(caller).filter((job) => job.state === 'done').map((job) => job.id));
  },
} satisfies Command;
