import type { Attachment, AutocompleteInteraction, ChatInputCommandInteraction, RepliableInteraction } from 'discord.js';
import type { z } from 'zod';
import type { AttachmentInfo } from '../discord/input-image.js';
import { UserError } from '../discord/user-error.js';
import type { Job, JobKind } from '../jobs/job.js';
import type { ReplyTarget, Requester, SubmitRequest } from '../service/jobs.js';
import type { CommandDeps } from './command.js';

type Params = Record<string, string | number | boolean>;

/** Discord sends the channel's upload limit with each interaction; this is its smallest value, for old clients. */
const DEFAULT_ATTACHMENT_LIMIT = 10 * 1024 * 1024;

/** Where a job's answer goes: this interaction's reply, with its upload limit. */
export function replyTo(interaction: RepliableInteraction): ReplyTarget {
  return { interactionId: interaction.id, interactionToken: interaction.token, attachmentLimit: interaction.attachmentSizeLimit ?? DEFAULT_ATTACHMENT_LIMIT };
}

/** Answers publicly "thinking…" once; the job's progress edits that answer. */
export function deferOnce(interaction: RepliableInteraction): () => Promise<void> {
  return async () => {
    if (!interaction.deferred) await interaction.deferReply();
  };
}

/** A command's options checked with its schema (Discord enforces the limits too; zod checks the payload again). */
export function readOptions<S extends z.ZodObject>(interaction: ChatInputCommandInteraction, schema: S): z.infer<S> {
  return schema.parse(Object.fromEntries(Object.keys(schema.shape).map((name) => [name, interaction.options.get(name)?.value ?? undefined])));
}

/** The options a member gave, as job parameters (those left out stay out: the template's defaults apply). */
export function paramsOf(values: Readonly<Record<string, string | number | boolean | undefined>>): Params {
  const params: Params = {};
  for (const [key, value] of Object.entries(values)) if (value !== undefined) params[key] = value;
  return params;
}

export function attachmentInfo(attachment: Attachment): AttachmentInfo {
  return { url: attachment.url, name: attachment.name, size: attachment.size, contentType: attachment.contentType };
}

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
  const defer = deferOnce(interaction);
  return deps.jobs.submit({ ...request, requester: caller, reply: replyTo(interaction), whenSlow: defer, beforeQueue: defer });
}

/** A job made from the attached `image` (/img2img, /img2vid): the download starts only once every cheap check has passed. */
export async function submitWithPicture(
  interaction: ChatInputCommandInteraction,
  deps: CommandDeps,
  caller: Requester,
  request: Pick<SubmitRequest, 'kind' | 'template' | 'params'>,
): Promise<Job> {
  const attachment = interaction.options.getAttachment('image');
  if (!attachment) throw new UserError('image.missing');
  return submitJob(interaction, deps, caller, { ...request, fetchInput: () => deps.fetchImage(attachmentInfo(attachment)) });
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
