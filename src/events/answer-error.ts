import { MessageFlags, type RepliableInteraction } from 'discord.js';
import type { Messages } from '../discord/messages.js';

/**
 * Answers a refusal or failure privately, whatever state the interaction is in. After a public defer (a slow image
 * download), the first message takes the placeholder's visibility: a short note that quotes nothing resolves it,
 * the reason follows privately, and the note is deleted.
 */
export async function answerPrivately(interaction: RepliableInteraction, messages: Messages, text: string): Promise<void> {
  const reply = { content: text, allowedMentions: { parse: [] } };
  if (!interaction.deferred && !interaction.replied) {
    await interaction.reply({ ...reply, flags: MessageFlags.Ephemeral });
    return;
  }
  if (interaction.ephemeral) {
    await interaction.editReply(reply);
    return;
  }
  await interaction.editReply({ content: messages.say('refused.note'), allowedMentions: { parse: [] } });
  await interaction.followUp({ ...reply, flags: MessageFlags.Ephemeral });
  await interaction.deleteReply();
}
