import { SlashCommandBuilder } from 'discord.js';
import { z } from 'zod';
import { ASPECT_RATIOS, type AspectRatio } from '../comfy/aspect.js';
import { MAX_SEED } from '../comfy/templates.js';
import { decimal, text, wholeNumber } from './options.js';
import { paramsOf, readOptions, submitJob, suggestJobOption } from './shared.js';
import type { Command } from './command.js';

/** What each ratio is called in the size menu. */
const RATIO_NAMES: Readonly<Record<AspectRatio, string>> = {
  '1:1': '1:1 square', '3:2': '3:2 landscape', '2:3': '2:3 portrait', '16:9': '16:9 wide', '9:16': '9:16 tall', '21:9': '21:9 cinema',
};

const data = new SlashCommandBuilder()
  .setName('imagine').setDescription('Draw a picture from a text prompt')
  .addStringOption((o) => o.setName('prompt').setDescription('What to draw').setRequired(true).setMaxLength(4000))
  .addStringOption((o) => o.setName('negative').setDescription('What to avoid').setMaxLength(4000))
  .addStringOption((o) => o.setName('size').setDescription('Aspect ratio (the template picks sizes that suit its model)').addChoices(...ASPECT_RATIOS.map((ratio) => ({ name: RATIO_NAMES[ratio], value: ratio }))))
  .addIntegerOption((o) => o.setName('seed').setDescription('Same seed and settings = same picture').setMinValue(0).setMaxValue(MAX_SEED))
  .addIntegerOption((o) => o.setName('steps').setDescription('Sampling steps').setMinValue(1).setMaxValue(100))
  .addNumberOption((o) => o.setName('cfg').setDescription('How closely to follow the prompt').setMinValue(1).setMaxValue(30))
  .addStringOption((o) => o.setName('sampler').setDescription('Sampler').setAutocomplete(true))
  .addStringOption((o) => o.setName('scheduler').setDescription('Noise schedule').setAutocomplete(true))
  .addStringOption((o) => o.setName('checkpoint').setDescription('Model checkpoint').setAutocomplete(true))
  .addStringOption((o) => o.setName('template').setDescription('Workflow template').setAutocomplete(true))
  .addIntegerOption((o) => o.setName('count').setDescription('How many pictures').setMinValue(1).setMaxValue(4))
  .addStringOption((o) => o.setName('lora').setDescription('A LoRA to apply (type to search)').setAutocomplete(true))
  .addNumberOption((o) => o.setName('lora_strength').setDescription('How strongly (default 1)').setMinValue(-2).setMaxValue(2))
  .addStringOption((o) => o.setName('lora2').setDescription('A second LoRA').setAutocomplete(true))
  .addNumberOption((o) => o.setName('lora2_strength').setDescription('How strongly the second applies (default 1)').setMinValue(-2).setMaxValue(2))
  .toJSON();

/** Discord enforces the limits above; zod checks them again, since the payload is data from outside. */
const OptionsSchema = z.object({
  prompt: z.string().min(1, 'prompt must not be empty').max(4000, 'prompt must be at most 4000 characters'),
  negative: text('negative', 4000),
  size: z.enum(ASPECT_RATIOS, { error: `size must be one of: ${ASPECT_RATIOS.join(', ')}` }).optional(),
  seed: wholeNumber('seed', 0, MAX_SEED),
  steps: wholeNumber('steps', 1, 100),
  cfg: decimal('CFG', 1, 30),
  sampler: text('sampler', 200),
  scheduler: text('scheduler', 200),
  checkpoint: text('checkpoint', 500),
  template: text('template', 64),
  count: wholeNumber('count', 1, 4),
  lora: text('lora', 500),
  lora_strength: decimal('lora_strength', -2, 2),
  lora2: text('lora2', 500),
  lora2_strength: decimal('lora2_strength', -2, 2),
});

export const imagine = {
  data,
  async execute(interaction, deps, caller) {
    const { size, template, ...rest } = readOptions(interaction, OptionsSchema);
    await submitJob(interaction, deps, caller, { kind: 'imagine', template, params: paramsOf(rest), ...(size ? { aspect: size } : {}) });
  },
  async autocomplete(interaction, deps) {
    await suggestJobOption(interaction, deps, 'imagine');
  },
} satisfies Command;
