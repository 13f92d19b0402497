import type { AutocompleteInteraction, ChatInputCommandInteraction } from 'discord.js';
import type { Job, JobKind } from '../jobs/job.js';
import type { Requester, SubmitRequest } from '../service/jobs.js';
import type { CommandDeps } from './command.js';

const DEFAULT_ATTACHMENT_LIMIT = 10 * 1024 * 1024;

/**
 * A slash command's job, handed to the job service: it answers privately if it refuses, and the command's reply
 * becomes public only once the job is accepted (or the checks take long enough that Discord must hear something).
 */
export async function submitJob(
  interaction: ChatInputCommandInteraction,
  deps: CommandDeps,
  caller: Requester,
  request: Pick<SubmitRequest, 'kind' | 'template' | 'params' | 'fetchInput' | 'aspect'>,
): Promise<Job> {
  const defer = async (): Promise<void> => {
    if (!interaction.deferred) await interaction.deferReply();
  };
  return deps.jobs.submit({
    ...request, requester: caller,
    reply: { interactionId: interaction.id, interactionToken: interaction.token, attachmentLimit: interaction.attachmentSizeLimit ?? DEFAULT_ATTACHMENT_LIMIT },
    whenSlow: defer,
    beforeQueue: defer,
  });
}

/** Answers autocomplete with up to 25 choices containing what the member typed. */
export async function suggest(interaction: AutocompleteInteraction, values: readonly string[]): Promise<void> {
  const typed = interaction.options.getFocused().toString().toLowerCase();
  const matches = values.filter((value) => value.toLowerCase().includes(typed)).slice(0, 25);
  await interaction.respond(matches.map((value) => ({ name: value.slice(0, 100), value: value.slice(0, 100) })));
}

/** Autocomplete for a job command's template and combo options (checkpoint, sampler…), from the job service. */
export async function suggestJobOption(interaction: AutocompleteInteraction, deps: CommandDeps, kind: JobKind): Promise<void> {
  const option = interaction.options.getFocused(true).name;
  await suggest(interaction, await deps.jobs.suggestions(kind, option, interaction.options.getString('template') ?? undefined));
}
