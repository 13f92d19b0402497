import { MessageFlags, SlashCommandBuilder } from 'discord.js';
import type { BotContext } from '../context.js';
import { administers, canManage, type Caller } from '../policy/admin.js';
import type { MessageId } from '../discord/messages.js';
import { UserError } from '../discord/user-error.js';
import type { Job } from '../jobs/job.js';
import type { CancelOutcome } from '../jobs/scheduler.js';
import { callerOf, suggest } from './shared.js';
import type { Command } from './command.js';

const OUTCOMES: Readonly<Record<CancelOutcome, MessageId>> = {
  removed: 'cancel.removed', 'deleted-from-comfy': 'cancel.deleted', interrupted: 'cancel.interrupted',
  stopping: 'cancel.stopping', deferred: 'cancel.deferred', 'not-found': 'cancel.notFound', 'not-yours': 'cancel.notYours', finished: 'cancel.finished',
};

/**
 * Active jobs matching `where`, waiting ones first, cheaply enough for every keystroke: countWaiting visits the
 * waiting jobs in no particular order (its predicate collects them), unlike snapshot(), which walks the fair order;
 * the jobs inside ComfyUI are the pool's in-flight sets, a few per server.
 */
function jobsWhere(ctx: BotContext, where: (job: Job) => boolean): Job[] {
  const found: Job[] = [];
  ctx.scheduler.countWaiting((job) => where(job) && found.push(job) > 0);
  const inside = ctx.pool.backends.flatMap((backend) => [...backend.jobs]).map((id) => ctx.scheduler.get(id));
  // A job just handed to a server is still 'waiting' until it is sent, and was collected above.
  return [...found, ...inside.filter((job): job is Job => job !== undefined && job.state !== 'waiting' && where(job))];
}

/** `/cancel all`: every job of the admin's own server (waiting ones first, so none starts meanwhile). */
async function cancelAll(ctx: BotContext, caller: Caller): Promise<number> {
  const outcomes = await Promise.all(jobsWhere(ctx, (job) => administers(job, caller)).map((job) => ctx.scheduler.cancel(job.id, caller.userId, true)));
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
    await suggest(interaction, jobsWhere(ctx, (job) => canManage(job, caller)).map((job) => job.id));
  },
} satisfies Command;
