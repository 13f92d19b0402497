import { SlashCommandBuilder } from 'discord.js';
import { z } from 'zod';
import { MAX_SEED } from '../comfy/templates.js';
import { text, wholeNumber } from './options.js';
import { paramsOf, readOptions, submitWithPicture, suggestJobOption } from './shared.js';
import type { Command } from './command.js';

const data = new SlashCommandBuilder()
  .setName('img2vid').setDescription('Animate a still image')
  .addAttachmentOption((o) => o.setName('image').setDescription('A PNG, JPEG or WebP picture').setRequired(true))
  .addIntegerOption((o) => o.setName('frames').setDescription('Number of frames').setMinValue(2).setMaxValue(50))
  .addIntegerOption((o) => o.setName('fps').setDescription('Frames per second').setMinValue(1).setMaxValue(30))
  .addIntegerOption((o) => o.setName('motion').setDescription('How much motion (1–255)').setMinValue(1).setMaxValue(255))
  .addIntegerOption((o) => o.setName('seed').setDescription('Random when left out').setMinValue(0).setMaxValue(MAX_SEED))
  .addStringOption((o) => o.setName('template').setDescription('Workflow template').setAutocomplete(true))
  .toJSON();

const OptionsSchema = z.object({
  frames: wholeNumber('frames', 2, 50),
  fps: wholeNumber('fps', 1, 30),
  motion: wholeNumber('motion', 1, 255),
  seed: wholeNumber('seed', 0, MAX_SEED),
  template: text('template', 64),
});

export const img2vid = {
  data,
  async execute(interaction, deps, caller) {
    const { template, ...rest } = readOptions(interaction, OptionsSchema);
    await submitWithPicture(interaction, deps, caller, { kind: 'img2vid', template, params: paramsOf(rest) });
  },
  async autocomplete(interaction, deps) {
    await suggestJobOption(interaction, deps, 'img2vid');
  },
} satisfies Command;
