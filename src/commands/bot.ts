import { MessageFlags, SlashCommandBuilder } from 'discord.js';
import type { Command } from './command.js';
import { attachmentInfo } from './shared.js';

/** The custom id of an import's Save button; the router reads it back. */
export const TEMPLATE_SAVE_PREFIX = 'tpl-save:';

/** Discord's message limit, with room for the closing fence. */
const MAX_TEXT = 1_990;

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}

export const bot = {
  data: new SlashCommandBuilder()
    .setName('bot').setDescription('Admins: the bot\'s settings, reload, pause and resume, templates')
    .addSubcommand((sub) => sub.setName('settings').setDescription('Show the effective settings (no secrets)'))
    .addSubcommand((sub) => sub.setName('reload').setDescription('Read config.yaml and the templates again, without a restart'))
    .addSubcommand((sub) => sub.setName('pause').setDescription('Stop sending jobs to ComfyUI; new jobs still queue'))
    .addSubcommand((sub) => sub.setName('resume').setDescription('Send queued jobs to ComfyUI again'))
    .addSubcommand((sub) => sub.setName('templates').setDescription('List the templates and whether they can run'))
    .addSubcommand((sub) => sub.setName('template-add').setDescription('Add a template from a ComfyUI API-format JSON, or a PNG/WebP ComfyUI saved')
      .addAttachmentOption((o) => o.setName('file').setDescription('The workflow file').setRequired(true))
      .addStringOption((o) => o.setName('name').setDescription('Template name (lowercase letters, digits, - and _)').setMaxLength(32)))
    .toJSON(),
  async execute(interaction, { admin, messages, fetchFile }, caller) {
    const { say } = messages;
    const reply = (content: string) => interaction.reply({ content: clip(content), flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
    switch (interaction.options.getSubcommand()) {
      case 'settings':
        await reply(`\`\`\`\n${admin.settings(caller).map(([key, value]) => `${key}=${value}`).join('\n')}\n\`\`\``);
        return;
      case 'reload': {
        admin.mustAdminister(caller);
        await interaction.deferReply({ flags: MessageFlags.Ephemeral });
        const outcome = await admin.reload(caller);
        const content = !outcome.ok
          ? say('bot.reloadFailed', { problems: outcome.problems.map((problem) => `• ${problem}`).join('\n') })
          : [
            outcome.changed.length > 0 ? say('bot.reloaded', { changed: outcome.changed.join(', ') }) : say('bot.reloadUnchanged'),
            ...(outcome.restartNeeded.length > 0 ? [say('bot.reloadRestart', { settings: outcome.restartNeeded.join(', ') })] : []),
            ...(outcome.overridden.length > 0 ? [say('bot.reloadOverridden', { settings: outcome.overridden.join(', ') })] : []),
          ].join('\n');
        await interaction.editReply({ content: clip(content), allowedMentions: { parse: [] } });
        return;
      }
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
      case 'template-add': {
        const attachment = interaction.options.getAttachment('file', true);
        admin.mustAdminister(caller);
        await interaction.deferReply({ flags: MessageFlags.Ephemeral });
        const bytes = await fetchFile(attachmentInfo(attachment));
        const found = admin.prepareImport(caller, { name: attachment.name, bytes }, interaction.options.getString('name') ?? undefined);
        const content = [
          say('bot.importFound', { name: found.name, command: found.command, found: found.found.map((line) => `• ${line}`).join('\n') }),
          found.missing.length > 0 ? say('bot.importMissing', { missing: found.missing.join('; ') }) : say('bot.importFits'),
        ].join('\n');
        const save = { type: 1, components: [{ type: 2, style: 3, label: say('button.save'), custom_id: `${TEMPLATE_SAVE_PREFIX}${found.id}` }] };
        await interaction.editReply({ content: clip(content), components: [save], allowedMentions: { parse: [] } });
        return;
      }
    }
  },
} satisfies Command;
