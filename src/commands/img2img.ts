import { SlashCommandBuilder } from 'discord.js';
import { z } from 'zod';
import { MAX_SEED } from '../comfy/templates.js';
import { decimal, text, wholeNumber } from './options.js';
import { paramsOf, readOptions, submitWithPicture, suggestJobOption } from './shared.js';
import type { Command } from './command.js';

const data = new SlashCommandBuilder()
  .setName('img2img').setDescription('Redraw a picture from a text prompt')
  .addAttachmentOption((o) => o.setName('image').setDescription('A PNG, JPEG or WebP picture to start from').setRequired(true))
  .addStringOption((o) => o.setName('prompt').setDescription('What it should become').setRequired(true).setMaxLength(4000))
  .addNumberOption((o) => o.setName('strength').setDescription('How far to move from the picture (0.05 barely, 1 completely)').setMinValue(0.05).setMaxValue(1))
  .addStringOption((o) => o.setName('negative').setDescription('What to avoid').setMaxLength(4000))
  .addIntegerOption((o) => o.setName('seed').setDescription('Same seed and settings = same picture').setMinValue(0).setMaxValue(MAX_SEED))
  .addIntegerOption((o) => o.setName('steps').setDescription('Sampling steps').setMinValue(1).setMaxValue(100))
  .addNumberOption((o) => o.setName('cfg').setDescription('How closely to follow the prompt').setMinValue(1).setMaxValue(30))
  .addStringOption((o) => o.setName('checkpoint').setDescription('Model checkpoint').setAutocomplete(true))
  .addStringOption((o) => o.setName('template').setDescription('Workflow template').setAutocomplete(true))
  .toJSON();

const OptionsSchema = z.object({
  prompt: z.string().min(1, 'prompt must not be empty').max(4000, 'prompt must be at most 4000 characters'),
  strength: decimal('strength', 0.05, 1),
  negative: text('negative', 4000),
  seed: wholeNumber('seed', 0, MAX_SEED),
  steps: wholeNumber('steps', 1, 100),
  cfg: decimal('CFG', 1, 30),
  checkpoint: text('checkpoint', 500),
  template: text('template', 64),
});

export const img2img = {
  data,
  async execute(interaction, deps, caller) {
    const { template, ...rest } = readOptions(interaction, OptionsSchema);
    await submitWithPicture(interaction, deps, caller, { kind: 'img2img', template, params: paramsOf(rest) });
  },
  async autocomplete(interaction, deps) {
    await suggestJobOption(interaction, deps, 'img2img');
  },
} satisfies Command;
