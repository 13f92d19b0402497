import { SlashCommandBuilder } from 'discord.js';
import { z } from 'zod';
import { MAX_SEED } from '../comfy/templates.js';
import { forInpainting } from '../discord/mask.js';
import { UserError } from '../discord/user-error.js';
import { decimal, text, wholeNumber } from './options.js';
import { attachmentInfo, paramsOf, readOptions, submitJob, suggestJobOption } from './shared.js';
import type { Command } from './command.js';

const data = new SlashCommandBuilder()
  .setName('inpaint').setDescription('Repaint part of a picture')
  .addAttachmentOption((o) => o.setName('image').setDescription('The picture (PNG, JPEG or WebP)').setRequired(true))
  .addAttachmentOption((o) => o.setName('mask').setDescription('Same picture size: white where to repaint, black where to keep').setRequired(true))
  .addStringOption((o) => o.setName('prompt').setDescription('What to paint there').setRequired(true).setMaxLength(4000))
  .addStringOption((o) => o.setName('negative').setDescription('What to avoid').setMaxLength(4000))
  .addIntegerOption((o) => o.setName('grow').setDescription('Grow the mask by this many pixels (default 6)').setMinValue(0).setMaxValue(64))
  .addIntegerOption((o) => o.setName('seed').setDescription('Same seed and settings = same picture').setMinValue(0).setMaxValue(MAX_SEED))
  .addIntegerOption((o) => o.setName('steps').setDescription('Sampling steps').setMinValue(1).setMaxValue(100))
  .addNumberOption((o) => o.setName('cfg').setDescription('How closely to follow the prompt').setMinValue(1).setMaxValue(30))
  .addStringOption((o) => o.setName('checkpoint').setDescription('Model checkpoint').setAutocomplete(true))
  .addStringOption((o) => o.setName('template').setDescription('Workflow template').setAutocomplete(true))
  .toJSON();

const OptionsSchema = z.object({
  prompt: z.string().min(1, 'prompt must not be empty').max(4000, 'prompt must be at most 4000 characters'),
  negative: text('negative', 4000),
  grow: wholeNumber('grow', 0, 64),
  seed: wholeNumber('seed', 0, MAX_SEED),
  steps: wholeNumber('steps', 1, 100),
  cfg: decimal('CFG', 1, 30),
  checkpoint: text('checkpoint', 500),
  template: text('template', 64),
});

export const inpaint = {
  data,
  async execute(interaction, deps, caller) {
    const image = interaction.options.getAttachment('image');
    if (!image) throw new UserError('image.missing');
    const mask = interaction.options.getAttachment('mask');
    if (!mask) throw new UserError('mask.missing');
    const { template, ...rest } = readOptions(interaction, OptionsSchema);
    // Both downloads start only once the options and the member's limits have passed; the mask takes the picture's size.
    const fetchInput = async () => {
      const [picture, painted] = await Promise.all([
        deps.fetchImage(attachmentInfo(image)),
        deps.fetchImage(attachmentInfo(mask)),
      ]);
      return forInpainting(picture, painted.bytes);
    };
    await submitJob(interaction, deps, caller, { kind: 'inpaint', template, params: paramsOf(rest), fetchInput });
  },
  async autocomplete(interaction, deps) {
    await suggestJobOption(interaction, deps, 'inpaint');
  },
} satisfies Command;
