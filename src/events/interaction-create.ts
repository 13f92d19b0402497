import { Events, MessageFlags, type AutocompleteInteraction, type ButtonInteraction, type ChatInputCommandInteraction, type Client, type Interaction } from 'discord.js';
import { commands } from '../commands/index.js';
import type { BotContext } from '../context.js';
import { callerOf } from '../commands/shared.js';
import { accessRefusal, checkAccess, type AccessRules } from '../policy/access.js';
import { CANCEL_BUTTON_PREFIX } from '../discord/delivery.js';
import { CANCEL_ANSWERS, format } from '../discord/messages.js';
import { describeError } from '../discord/user-error.js';
import type { JobKind } from '../jobs/job.js';
import { perOwner, RateLimiter } from '../policy/rate-limit.js';

const byName = new Map(commands.map((command) => [command.data.name, command]));

/** Autocomplete comes with every keystroke: twenty at once per member, then four a second; beyond, no choices. */
const autocompleteLimiter = perOwner((ctx: BotContext) => new RateLimiter({ burst: 20, perSecond: 4, now: ctx.now }));

/** One router, one error path: commands throw, and this replies correctly whatever the interaction's state. */
export function onInteractionCreate(client: Client, ctx: BotContext): void {
  client.on(Events.InteractionCreate, (interaction) => void route(interaction, ctx));
}

function accessRules(ctx: BotContext): AccessRules {
  return {
    dms: ctx.config.ALLOW_DMS, guilds: ctx.config.ALLOWED_GUILD_IDS, channels: ctx.config.ALLOWED_CHANNEL_IDS, roles: ctx.config.ALLOWED_ROLE_IDS,
    commandRoles: { imagine: ctx.config.IMAGINE_ROLE_IDS, img2vid: ctx.config.IMG2VID_ROLE_IDS },
  };
}

function kindOf(commandName: string): JobKind | undefined {
  return commandName === 'imagine' || commandName === 'img2vid' ? commandName : undefined;
}

/** Every kind of interaction passes the same access rules (DMs, allowlists) before anything else runs. */
async function route(interaction: Interaction, ctx: BotContext): Promise<void> {
  if (interaction.isAutocomplete()) {
    await autocomplete(interaction, ctx);
    return;
  }
  if (interaction.isButton() && interaction.customId.startsWith(CANCEL_BUTTON_PREFIX)) {
    await cancelFromButton(interaction, interaction.customId.slice(CANCEL_BUTTON_PREFIX.length), ctx);
    return;
  }
  if (!interaction.isChatInputCommand()) return;
  const command = byName.get(interaction.commandName);
  if (!command) return;
  try {
    checkAccess(interaction, accessRules(ctx), kindOf(interaction.commandName));
    await command.execute(interaction, ctx);
  } catch (error) {
    const described = describeError(ctx.catalog, error);
    if (described.reference) ctx.logger.error({ err: error, command: interaction.commandName, reference: described.reference }, 'command failed');
    try {
      await answerError(interaction, ctx, ctx.redact(described.text));
    } catch (replyError) {
      ctx.logger.warn({ err: replyError, command: interaction.commandName }, 'could not tell the member about an error');
    }
  }
}

/**
 * Privately. After a public defer (a slow image download), the first message takes the placeholder's visibility:
 * a short note that quotes nothing resolves it, the reason follows privately, and the note is deleted.
 */
async function answerError(interaction: ChatInputCommandInteraction, ctx: BotContext, text: string): Promise<void> {
  const reply = { content: text, allowedMentions: { parse: [] } };
  if (!interaction.deferred && !interaction.replied) {
    await interaction.reply({ ...reply, flags: MessageFlags.Ephemeral });
    return;
  }
  if (interaction.ephemeral) {
    await interaction.editReply(reply);
    return;
  }
  await interaction.editReply({ content: format(ctx.catalog, 'refused.note'), allowedMentions: { parse: [] } });
  await interaction.followUp({ ...reply, flags: MessageFlags.Ephemeral });
  await interaction.deleteReply();
}


/** Members the access rules refuse get no choices (not even the names of templates and models); nor do floods. */
async function autocomplete(interaction: AutocompleteInteraction, ctx: BotContext): Promise<void> {
  try {
    const refused = accessRefusal(interaction, accessRules(ctx), kindOf(interaction.commandName)) || !autocompleteLimiter(ctx).take(interaction.user.id);
    if (refused) await interaction.respond([]);
    else await byName.get(interaction.commandName)?.autocomplete?.(interaction, ctx);
  } catch (error) {
    ctx.logger.warn({ err: error, command: interaction.commandName }, 'autocomplete failed');
  }
}

/**
 * The Cancel button under a job's reply: the requester (or an admin of the job's server) cancels it; others are
 * told it is not theirs, and members the access rules refuse are told why.
 */
async function cancelFromButton(interaction: ButtonInteraction, jobId: string, ctx: BotContext): Promise<void> {
  try {
    await interaction.reply({ content: await buttonAnswer(interaction, jobId, ctx), flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
  } catch (error) {
    ctx.logger.warn({ err: error, job: jobId }, 'cancel button failed');
  }
}

async function buttonAnswer(interaction: ButtonInteraction, jobId: string, ctx: BotContext): Promise<string> {
  const refusal = accessRefusal(interaction, accessRules(ctx), undefined);
  if (refusal) return describeError(ctx.catalog, refusal).text;
  const { outcome } = await ctx.jobs.cancel(callerOf(interaction, ctx), jobId);
  return ctx.delivery.say(CANCEL_ANSWERS[outcome === 'none' ? 'not-found' : outcome], { id: jobId });
}
