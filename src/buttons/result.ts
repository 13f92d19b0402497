import {
  ActionRowBuilder, MessageFlags, ModalBuilder, TextInputBuilder, TextInputStyle, type ButtonInteraction, type ModalSubmitInteraction, type RepliableInteraction,
} from 'discord.js';
import type { InputImage } from '../comfy/runner.js';
import type { CommandDeps } from '../commands/command.js';
import { attachmentInfo, deferOnce, replyTo } from '../commands/shared.js';
import { UserError } from '../discord/user-error.js';
import { parseResultButton, type ResultButton } from '../discord/result-buttons.js';
import type { Requester } from '../service/jobs.js';
import type { FollowUp } from '../service/derive.js';

export const EDIT_MODAL_PREFIX = 'edit:';

/** The public reply of a job started from a component: deferred only once the job service accepts it. */
function followUpJob(interaction: RepliableInteraction, deps: CommandDeps, caller: Requester, request: {
  action: FollowUp; jobId: string; image: number; edit?: { prompt: string; negative: string | undefined }; fetchPicture: () => Promise<InputImage>;
}) {
  const defer = deferOnce(interaction);
  return deps.jobs.fromResult({ ...request, requester: caller, reply: replyTo(interaction), whenSlow: defer, beforeQueue: defer });
}

/**
 * A button under a result. Everything but its action, job and picture comes from the ledger, so it works on
 * results from before a restart. The picture is read back from the message the button is on: its attachments
 * are the job's outputs in order (a GIF made beside an animation comes after them).
 */
export async function onResultButton(interaction: ButtonInteraction, button: ResultButton, deps: CommandDeps, caller: Requester): Promise<void> {
  const { jobs, messages } = deps;
  // A button acts on the job of the message it is on: a forged custom id naming another job is refused.
  if (jobOfMessage(interaction) !== button.jobId) throw new UserError('result.mismatch');
  if (button.action === 'delete') {
    if (!jobs.mayDelete(caller, button.jobId, interaction.message.interactionMetadata?.user.id)) throw new UserError('result.notYours', { id: button.jobId });
    await interaction.message.delete();
    await interaction.reply({ content: messages.say('result.deleted', { id: button.jobId }), flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
    return;
  }
  if (button.action === 'edit') {
    await interaction.showModal(editModal(deps, caller, button.jobId));
    return;
  }
  const fetchPicture = () => {
    const attachment = [...interaction.message.attachments.values()][button.image - firstOutputOf(interaction)];
    if (!attachment) throw new UserError('result.noPicture', { image: button.image + 1, id: button.jobId });
    return deps.fetchImage(attachmentInfo(attachment));
  };
  await followUpJob(interaction, deps, caller, { action: button.action, jobId: button.jobId, image: button.image, fetchPicture });
}

/** The Delete button of the message pressed on: it names the message's job and its first output. */
function deleteButtonOf(interaction: ButtonInteraction): ResultButton | undefined {
  for (const row of interaction.message.components) {
    if (!('components' in row)) continue;
    for (const component of row.components) {
      const parsed = 'customId' in component && component.customId ? parseResultButton(component.customId) : undefined;
      if (parsed?.action === 'delete') return parsed;
    }
  }
  return undefined;
}

function jobOfMessage(interaction: ButtonInteraction): string | undefined {
  return deleteButtonOf(interaction)?.jobId;
}

/** The first output a message shows (a result split over messages). */
function firstOutputOf(interaction: ButtonInteraction): number {
  return deleteButtonOf(interaction)?.image ?? 0;
}

/** The Edit button's form: the prompt and (when the template takes one) the negative, filled in with the job's own. */
function editModal({ jobs, messages }: CommandDeps, caller: Requester, jobId: string): ModalBuilder {
  const words = jobs.editable(caller, jobId);
  const field = (id: 'prompt' | 'negative', label: string, value: string, required: boolean) => {
    const input = new TextInputBuilder().setCustomId(id).setLabel(label).setStyle(TextInputStyle.Paragraph).setRequired(required).setMaxLength(4000);
    if (value !== '') input.setValue(value.slice(0, 4000));
    return new ActionRowBuilder<TextInputBuilder>().addComponents(input);
  };
  const modal = new ModalBuilder().setCustomId(`${EDIT_MODAL_PREFIX}${jobId}`).setTitle(messages.say('edit.title'))
    .addComponents(field('prompt', messages.say('edit.prompt'), words.prompt, true));
  if (words.negative !== undefined) modal.addComponents(field('negative', messages.say('edit.negative'), words.negative, false));
  return modal;
}

/** A field of a submitted form, or undefined when the form had none by that name. */
function fieldOf(interaction: ModalSubmitInteraction, id: string): string | undefined {
  try {
    return interaction.fields.getTextInputValue(id);
  } catch {
    return undefined;
  }
}

/** The Edit form sent back: a new job with the new words and everything else (seed included) as before. */
export async function onEditSubmit(interaction: ModalSubmitInteraction, jobId: string, deps: CommandDeps, caller: Requester): Promise<void> {
  const edit = { prompt: fieldOf(interaction, 'prompt') ?? '', negative: fieldOf(interaction, 'negative') };
  await followUpJob(interaction, deps, caller, {
    action: 'edit', jobId, image: 0, edit,
    fetchPicture: () => Promise.reject(new Error('an edit starts from the words, not a picture')),
  });
}
