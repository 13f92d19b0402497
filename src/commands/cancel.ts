import { MessageFlags, SlashCommandBuilder } from 'discord.js';
import { CANCEL_ANSWERS } from '../discord/messages.js';
import { UserError } from '../discord/user-error.js';
import { suggest } from './shared.js';
import type { Command } from './command.js';

export const cancel = {
  data: new SlashCommandBuilder()
    .setName('cancel').setDescription('Cancel your latest job, a named one, or (admins) all of them')
    .addStringOption((o) => o.setName('job').setDescription('Job id (from the reply or /queue)').setAutocomplete(true).setMaxLength(32))
    .addBooleanOption((o) => o.setName('all').setDescription('Admins: cancel every job of this server'))
    .toJSON(),
  async execute(interaction, { jobs, messages }, caller) {
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    if (interaction.options.getBoolean('all')) {
      await interaction.editReply({ content: messages.say('cancel.all', { count: await jobs.cancelAll(caller) }), allowedMentions: { parse: [] } });
      return;
    }
    const { outcome, id } = await jobs.cancel(caller, interaction.options.getString('job')?.trim() || undefined);
    if (outcome === 'none') throw new UserError('cancel.none');
    if (outcome === 'not-found') throw new UserError('cancel.notFound', { id });
    await interaction.editReply({ content: messages.say(CANCEL_ANSWERS[outcome], { id }), allowedMentions: { parse: [] } });
  },
  async autocomplete(interaction, { jobs }, caller) {
    await suggest(interaction, jobs.cancellable(caller));
  },
} satisfies Command;
