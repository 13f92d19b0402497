import { MessageFlags, SlashCommandBuilder } from 'discord.js';
import type { BotContext } from '../context.js';
import { administers, canManage, type Caller } from '../policy/admin.js';
import type { MessageId } from '../discord/messages.js';
import { UserError } from '../discord/user-error.js';
import type { CancelOutcome } from '../jobs/scheduler.js';
import { callerOf, suggest } from './shared.js';
import type { Command } from './command.js';

const OUTCOMES: Readonly<Record<CancelOutcome, MessageId>> = {
  removed: 'cancel.removed', 'deleted-from-comfy': 'cancel.deleted', interrupted: 'cancel.interrupted',
  stopping: 'cancel.stopping', deferred: 'cancel.deferred', 'not-found': 'cancel.notFound', 'not-yours': 'cancel.notYours', finished: 'cancel.finished',
};

/** `/cancel all`: every job of the admin's own server (waiting ones first, so none starts meanwhile). */
async function cancelAll(ctx: BotContext, caller: Caller): Promise<number> {
  const outcomes = await Promise.all(ctx.scheduler.jobsWhere((job) => administers(job, caller)).map((job) => ctx.scheduler.cancel(job.id, caller.userId, true)));
  return outcomes.filter((outcome) => outcome === 'removed' || outcome === 'deleted-from-comfy' || outcome === 'interrupted' || outcome === 'stopping' || outcome === 'deferred').length;
}

export const cancel = {
  data: new SlashCommandBuilder()
    .setName('cancel').setDescription('Cancel your latest job, a named one, or (admins) all of them')
    .addStringOption((o) => o.setName('job').setDescription('Job id (from the reply or /queue)').setAutocomplete(true).setMaxLength(32))
    .addBooleanOption((o) => o.setName('all').setDescription('Admins: cancel every job of this server'))
    .toJSON(),
  async execute(interaction, ctx) {
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const caller = callerOf(interaction, ctx);
    if (interaction.options.getBoolean('all')) {
      if (!caller.isAdmin) throw new UserError('cancel.allForbidden', { role: ctx.config.ADMIN_ROLE_ID ? ctx.delivery.say('cancel.orRole', { role: `<@&${ctx.config.ADMIN_ROLE_ID}>` }) : '' });
      await interaction.editReply({ content: ctx.delivery.say('cancel.all', { count: await cancelAll(ctx, caller) }), allowedMentions: { parse: [] } });
      return;
    }
    const named = interaction.options.getString('job')?.trim();
    const job = named ? ctx.scheduler.get(named) : ctx.scheduler.latestOf(interaction.user.id);
    if (!job) throw new UserError(named ? 'cancel.notFound' : 'cancel.none', { id: named ?? '' });
    const outcome = await ctx.scheduler.cancel(job.id, interaction.user.id, canManage(job, caller));
    await interaction.editReply({ content: ctx.delivery.say(OUTCOMES[outcome], { id: job.id }), allowedMentions: { parse: [] } });
  },
  async autocomplete(interaction, ctx) {
    const caller = callerOf(interaction, ctx);
    await suggest(interaction, ctx.scheduler.jobsWhere((job) => canManage(job, caller)).map((job) => job.id));
  },
} satisfies Command;
