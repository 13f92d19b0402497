import { MessageFlags, SlashCommandBuilder } from 'discord.js';
import type { Command } from './command.js';

/** Discord's message limit, with room for the closing fence. */
const MAX_TEXT = 1_990;

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}

export const bot = {
  data: new SlashCommandBuilder()
    .setName('bot').setDescription('Admins: the bot\'s settings, pause and resume, templates')
    .addSubcommand((sub) => sub.setName('settings').setDescription('Show the effective settings (no secrets)'))
    .addSubcommand((sub) => sub.setName('pause').setDescription('Stop sending jobs to ComfyUI; new jobs still queue'))
    .addSubcommand((sub) => sub.setName('resume').setDescription('Send queued jobs to ComfyUI again'))
    .addSubcommand((sub) => sub.setName('templates').setDescription('List the templates and whether they can run'))
    .toJSON(),
  async execute(interaction, { admin, messages }, caller) {
    const { say } = messages;
    const reply = (content: string) => interaction.reply({ content: clip(content), flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
    switch (interaction.options.getSubcommand()) {
      case 'settings':
        await reply(`\`\`\`\n${admin.settings(caller).map(([key, value]) => `${key}=${value}`).join('\n')}\n\`\`\``);
        return;
      case 'pause':
        await reply(say(admin.pause(caller) ? 'bot.alreadyPaused' : 'bot.paused'));
        return;
      case 'resume':
        await reply(say(admin.resume(caller) ? 'bot.resumed' : 'bot.notPaused'));
        return;
      case 'templates':
        await reply(admin.templates(caller).map((template) => (template.runs
          ? say('bot.templateRuns', { name: template.name, command: template.command })
          : say('bot.templateCannot', { name: template.name, command: template.command, missing: template.missing.join('; ') }))).join('\n'));
        return;
    }
  },
} satisfies Command;
