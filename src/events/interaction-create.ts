import { Events, MessageFlags, type AutocompleteInteraction, type ButtonInteraction, type ChatInputCommandInteraction, type Client, type Interaction } from 'discord.js';
import { commands } from '../commands/index.js';
import type { CommandDeps } from '../commands/command.js';
import { requesterOf } from '../discord/caller.js';
import { CANCEL_BUTTON_PREFIX } from '../discord/delivery.js';
import { CANCEL_ANSWERS, type Catalog } from '../discord/messages.js';
import { describeError } from '../discord/user-error.js';
import type { JobKind } from '../jobs/job.js';
import { accessRefusal, checkAccess, type AccessRules } from '../policy/access.js';
import { RateLimiter } from '../policy/rate-limit.js';

/** What the router needs beyond what it hands to commands. */
export interface RouterDeps extends CommandDeps {
  catalog: Catalog;
  access: AccessRules;
  adminRoleId: string | undefined;
  /** Removes configured secrets from text headed for Discord. */
  redact: (text: string) => string;
  now: () => number;
}

const byName = new Map(commands.map((command) => [command.data.name, command]));

/** One router, one error path: commands throw, and this replies correctly whatever the interaction's state. */
export function onInteractionCreate(client: Client, deps: RouterDeps): void {
  // Autocomplete comes with every keystroke: twenty at once per member, then four a second; beyond, no choices.
  const autocompleteLimiter = new RateLimiter({ burst: 20, perSecond: 4, now: deps.now });
  client.on(Events.InteractionCreate, (interaction) => void route(interaction, deps, autocompleteLimiter));
}

function kindOf(commandName: string): JobKind | undefined {
  return commandName === 'imagine' || commandName === 'img2vid' ? commandName : undefined;
}

/** Every kind of interaction passes the same access rules (DMs, allowlists) before anything else runs. */
async function route(interaction: Interaction, deps: RouterDeps, autocompleteLimiter: RateLimiter): Promise<void> {
  if (interaction.isAutocomplete()) {
    await autocomplete(interaction, deps, autocompleteLimiter);
    return;
  }
  if (interaction.isButton() && interaction.customId.startsWith(CANCEL_BUTTON_PREFIX)) {
    await cancelFromButton(interaction, interaction.customId.slice(CANCEL_BUTTON_PREFIX.length), deps);
    return;
  }
  if (!interaction.isChatInputCommand()) return;
  const command = byName.get(interaction.commandName);
  if (!command) return;
  try {
    checkAccess(interaction, deps.access, kindOf(interaction.commandName));
    await command.execute(interaction, deps, requesterOf(interaction, deps.adminRoleId));
  } catch (error) {
    const described = describeError(deps.catalog, error);
    if (described.reference) deps.logger.error({ err: error, command: interaction.commandName, reference: described.reference }, 'command failed');
    try {
      await answerError(interaction, deps, deps.redact(described.text));
    } catch (replyError) {
      deps.logger.warn({ err: replyError, command: interaction.commandName }, 'could not tell the member about an error');
    }
  }
}

/**
 * Privately. After a public defer (a slow image download), the first message takes the placeholder's visibility:
 * a short note that quotes nothing resolves it, the reason follows privately, and the note is deleted.
 */
async function answerError(interaction: ChatInputCommandInteraction, deps: RouterDeps, text: string): Promise<void> {
  const reply = { content: text, allowedMentions: { parse: [] } };
  if (!interaction.deferred && !interaction.replied) {
    await interaction.reply({ ...reply, flags: MessageFlags.Ephemeral });
    return;
  }
  if (interaction.ephemeral) {
    await interaction.editReply(reply);
    return;
  }
  await interaction.editReply({ content: deps.messages.say('refused.note'), allowedMentions: { parse: [] } });
  await interaction.followUp({ ...reply, flags: MessageFlags.Ephemeral });
  await interaction.deleteReply();
}

/** Members the access rules refuse get no choices (not even the names of templates and models); nor do floods. */
async function autocomplete(interaction: AutocompleteInteraction, deps: RouterDeps, limiter: RateLimiter): Promise<void> {
  try {
    const refused = accessRefusal(interaction, deps.access, kindOf(interaction.commandName)) || !limiter.take(interaction.user.id);
    if (refused) await interaction.respond([]);
    else await byName.get(interaction.commandName)?.autocomplete?.(interaction, deps, requesterOf(interaction, deps.adminRoleId));
  } catch (error) {
    deps.logger.warn({ err: error, command: interaction.commandName }, 'autocomplete failed');
  }
}

/**
 * The Cancel button under a job's reply: the requester (or an admin of the job's server) cancels it; others are
 * told it is not theirs, and members the access rules refuse are told why.
 */
async function cancelFromButton(interaction: ButtonInteraction, jobId: string, deps: RouterDeps): Promise<void> {
  try {
    await interaction.reply({ content: await buttonAnswer(interaction, jobId, deps), flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
  } catch (error) {
    deps.logger.warn({ err: error, job: jobId }, 'cancel button failed');
  }
}

async function buttonAnswer(interaction: ButtonInteraction, jobId: string, deps: RouterDeps): Promise<string> {
  const refusal = accessRefusal(interaction, deps.access, undefined);
  if (refusal) return describeError(deps.catalog, refusal).text;
  const { outcome } = await deps.jobs.cancel(requesterOf(interaction, deps.adminRoleId), jobId);
  return deps.messages.say(CANCEL_ANSWERS[outcome === 'none' ? 'not-found' : outcome], { id: jobId });
}
