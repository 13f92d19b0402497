import { MessageFlags, SlashCommandBuilder } from 'discord.js';
import type { MessageId } from '../discord/messages.js';
import { UserError } from '../discord/user-error.js';
import type { CancelOutcome } from '../jobs/scheduler.js';
import { isAdmin, suggest } from './shared.js';
import type { Command } from './command.js';

const OUTCOMES: Readonly<Record<CancelOutcome, MessageId>> = {
  removed: 'cancel.removed', 'deleted-from-comfy': 'cancel.deleted', interrupted: 'cancel.interrupted',
  'not-found': 'cancel.notFound', 'not-yours': 'cancel.notYours', finished: 'cancel.finished',
};

export const cancel = {
  data: new SlashCommandBuilder()
    .setName('cancel').setDescription('Cancel your latest job, a named one, or (admins) all of them')
    .addStringOption((o) => o.setName('job').setDescription('Job id (from the reply or /queue)').setAutocomplete(true).setMaxLength(32))
    .addBooleanOption((o) => o.setName('all').setDescription('Admins: cancel every job'))
    .toJSON(),
  async execute(interaction, ctx) {
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const admin = isAdmin(interaction, ctx.config.ADMIN_ROLE_ID);
    if (interaction.options.getBoolean('all')) {
      if (!admin) throw new UserError('cancel.allForbidden', { role: ctx.config.ADMIN_ROLE_ID ? ctx.delivery.say('cancel.orRole', { role: `<@&${ctx.config.ADMIN_ROLE_ID}>` }) : '' });
      const { active, waiting } = ctx.scheduler.snapshot();
      const outcomes = await Promise.all([...waiting, ...active].map((job) => ctx.scheduler.cancel(job.id, interaction.user.id, true)));
      const count = outcomes.filter((outcome) => outcome === 'removed' || outcome === 'deleted-from-comfy' || outcome === 'interrupted').length;
      await interaction.editReply({ content: ctx.delivery.say('cancel.all', { count }), allowedMentions: { parse: [] } });
      return;
    }
    const named = interaction.options.getString('job')?.trim();
    const job = named ? ctx.scheduler.get(named) : ctx.scheduler.latestOf(interaction.user.id);
    if (!job) throw new UserError(named ? 'cancel.notFound' : 'cancel.none', { id: named ?? '' });
    const outcome = await ctx.scheduler.cancel(job.id, interaction.user.id, admin);
    await interaction.editReply({ content: ctx.delivery.say(OUTCOMES[outcome], { id: job.id }), allowedMentions: { parse: [] } });
  },
  async autocomplete(interaction, ctx) {
    const { active, waiting } = ctx.scheduler.snapshot();
    const admin = isAdmin(interaction, ctx.config.ADMIN_ROLE_ID);
    await suggest(interaction, [...active, ...waiting].filter((job) => admin || job.requester.id === interaction.user.id).map((job) => job.id));
  },
} satisfies Command;
