import { SlashCommandBuilder } from 'discord.js';
import { z } from 'zod';
import { MAX_SEED } from '../comfy/templates.js';
import { decimal, text, wholeNumber } from './options.js';
import { submitJob, suggestJobOption } from './shared.js';
import type { Command } from './command.js';

/** Named sizes (SDXL-friendly buckets); the template's own bounds still apply. */
const SIZES: Readonly<Record<string, readonly [number, number]>> = {
  square: [1024, 1024], portrait: [832, 1216], landscape: [1216, 832], wide: [1344, 768], tall: [768, 1344], small: [512, 512],
};

const data = new SlashCommandBuilder()
  .setName('imagine').setDescription('Draw a picture from a text prompt')
  .addStringOption((o) => o.setName('prompt').setDescription('What to draw').setRequired(true).setMaxLength(4000))
  .addStringOption((o) => o.setName('negative').setDescription('What to avoid').setMaxLength(4000))
  .addStringOption((o) => o.setName('size').setDescription('Picture size').addChoices(...Object.entries(SIZES).map(([name, [w, h]]) => ({ name: `${name} (${w}×${h})`, value: name }))))
  .addIntegerOption((o) => o.setName('seed').setDescription('Same seed and settings = same picture').setMinValue(0).setMaxValue(MAX_SEED))
  .addIntegerOption((o) => o.setName('steps').setDescription('Sampling steps').setMinValue(1).setMaxValue(100))
  .addNumberOption((o) => o.setName('cfg').setDescription('How closely to follow the prompt').setMinValue(1).setMaxValue(30))
  .addStringOption((o) => o.setName('sampler').setDescription('Sampler').setAutocomplete(true))
  .addStringOption((o) => o.setName('scheduler').setDescription('Noise schedule').setAutocomplete(true))
  .addStringOption((o) => o.setName('checkpoint').setDescription('Model checkpoint').setAutocomplete(true))
  .addStringOption((o) => o.setName('template').setDescription('Workflow template').setAutocomplete(true))
  .addIntegerOption((o) => o.setName('count').setDescription('How many pictures').setMinValue(1).setMaxValue(4))
  .toJSON();

/** Discord enforces the limits above; zod checks them again, since the payload is data from outside. */
const OptionsSchema = z.object({
  prompt: z.string().min(1, 'prompt must not be empty').max(4000, 'prompt must be at most 4000 characters'),
  negative: text('negative', 4000),
  size: z.enum(Object.keys(SIZES) as [string, ...string[]], { error: `size must be one of: ${Object.keys(SIZES).join(', ')}` }).optional(),
  seed: wholeNumber('seed', 0, MAX_SEED),
  steps: wholeNumber('steps', 1, 100),
  cfg: decimal('CFG', 1, 30),
  sampler: text('sampler', 200),
  scheduler: text('scheduler', 200),
  checkpoint: text('checkpoint', 500),
  template: text('template', 64),
  count: wholeNumber('count', 1, 4),
});

export const imagine = {
  data,
  async execute(interaction, deps, caller) {
    const read = (name: string) => interaction.options.get(name)?.value ?? undefined;
    const options = OptionsSchema.parse(Object.fromEntries(Object.keys(OptionsSchema.shape).map((name) => [name, read(name)])));
    const { size, template: _name, count, ...rest } = options;
    const params: Record<string, string | number | boolean> = {};
    for (const [key, value] of Object.entries(rest)) if (value !== undefined) params[key] = value;
    if (count !== undefined) params['count'] = count;
    if (size) [params['width'], params['height']] = SIZES[size] as [number, number];
    await submitJob(interaction, deps, caller, { kind: 'imagine', template: options.template, params });
  },
  async autocomplete(interaction, deps) {
    await suggestJobOption(interaction, deps, 'imagine');
  },
} satisfies Command;
