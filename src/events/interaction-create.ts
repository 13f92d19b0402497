import { Events, MessageFlags, type AutocompleteInteraction, type ButtonInteraction, type Client, type Interaction, type RepliableInteraction } from 'discord.js';
import { EDIT_MODAL_PREFIX, onEditSubmit, onResultButton } from '../buttons/result.js';
import { parseResultButton } from '../discord/result-buttons.js';
import type { Requester } from '../service/jobs.js';
import { answerPrivately } from './answer-error.js';
import { commands } from '../commands/index.js';
import { TEMPLATE_SAVE_PREFIX } from '../commands/bot.js';
import type { CommandDeps } from '../commands/command.js';
import { requesterOf } from '../discord/caller.js';
import { CANCEL_BUTTON_PREFIX } from '../discord/delivery.js';
import { CANCEL_ANSWERS, messagesFor } from '../discord/messages.js';
import { describeError } from '../discord/user-error.js';
import { JOB_KINDS, type JobKind } from '../jobs/job.js';
import { accessRefusal, checkAccess, type AccessRules } from '../policy/access.js';
import { RateLimiter } from '../policy/rate-limit.js';

/** What the router needs beyond what it hands to commands. */
export interface RouterDeps extends CommandDeps {
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
  return JOB_KINDS.find((kind) => kind === commandName);
}

/** Every kind of interaction passes the same access rules (DMs, allowlists) before anything else runs. */
async function route(interaction: Interaction, shared: RouterDeps, autocompleteLimiter: RateLimiter): Promise<void> {
  // Every answer is in the asking member's language.
  const deps: RouterDeps = { ...shared, messages: messagesFor(interaction.locale) };
  if (interaction.isAutocomplete()) {
    await autocomplete(interaction, deps, autocompleteLimiter);
    return;
  }
  if (interaction.isButton() && interaction.customId.startsWith(CANCEL_BUTTON_PREFIX)) {
    await cancelFromButton(interaction, interaction.customId.slice(CANCEL_BUTTON_PREFIX.length), deps);
    return;
  }
  if (interaction.isButton() && interaction.customId.startsWith(TEMPLATE_SAVE_PREFIX)) {
    const id = interaction.customId.slice(TEMPLATE_SAVE_PREFIX.length);
    await guarded(interaction, deps, 'template-save', undefined, async (caller) => {
      const name = await deps.admin.saveImport(caller, id);
      await interaction.reply({ content: deps.messages.say('bot.importSaved', { name }), flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
    });
    return;
  }
  if (interaction.isButton()) {
    const button = parseResultButton(interaction.customId);
    if (button) await guarded(interaction, deps, 'button', button.action === 'animate' ? 'img2vid' : 'imagine', (caller) => onResultButton(interaction, button, deps, caller));
    return;
  }
  if (interaction.isModalSubmit()) {
    const jobId = interaction.customId.startsWith(EDIT_MODAL_PREFIX) ? interaction.customId.slice(EDIT_MODAL_PREFIX.length) : '';
    if (/^[a-z0-9]{1,32}$/.test(jobId)) await guarded(interaction, deps, 'edit', 'imagine', (caller) => onEditSubmit(interaction, jobId, deps, caller));
    return;
  }
  if (!interaction.isChatInputCommand()) return;
  const command = byName.get(interaction.commandName);
  if (!command) return;
  await guarded(interaction, deps, interaction.commandName, kindOf(interaction.commandName), (caller) => command.execute(interaction, deps, caller));
}

/** Access rules first, then the handler; whatever it throws is answered privately (and logged when unexpected). */
async function guarded(interaction: RepliableInteraction, deps: RouterDeps, what: string, kind: JobKind | undefined, handle: (caller: Requester) => Promise<void>): Promise<void> {
  try {
    checkAccess(interaction, deps.access, kind);
    await handle(requesterOf(interaction, deps.adminRoleId));
  } catch (error) {
    const described = describeError(deps.messages, error);
    if (described.reference) deps.logger.error({ err: error, command: what, reference: described.reference }, 'command failed');
    try {
      await answerPrivately(interaction, deps.messages, deps.redact(described.text));
    } catch (replyError) {
      deps.logger.warn({ err: replyError, command: what }, 'could not tell the member about an error');
    }
  }
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
  if (refusal) return describeError(deps.messages, refusal).text;
  const { outcome } = await deps.jobs.cancel(requesterOf(interaction, deps.adminRoleId), jobId);
  return deps.messages.say(CANCEL_ANSWERS[outcome === 'none' ? 'not-found' : outcome], { id: jobId });
}
