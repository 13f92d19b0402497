import i18next from 'i18next';
import { zhCN } from './messages-zh-CN.js';
import type { CancelOutcome } from '../jobs/scheduler.js';

/**
 * Every sentence a member sees, keyed by id, in English; messages-zh-CN.ts has the same in Simplified Chinese.
 * A key ending in `_one` is the singular of the key without it (i18next's plural rules pick it by `count`).
 */
export const en = {
  'queue.position': 'Queued as job `{id}` — you are #{position} in line.{eta}',
  'queue.next': 'Queued as job `{id}` — you are next.{eta}',
  'eta.waiting': ' Should start <t:{start}:R>, done <t:{finish}:R>.',
  'eta.running': ' Done <t:{finish}:R>.',
  'progress.comfyQueue': 'Job `{id}` is waiting in ComfyUI\'s queue (position {position}){server}.{eta}',
  'progress.started': 'Job `{id}` started{server}.{eta}',
  'progress.node': 'Job `{id}` is running{server}…{eta}',
  'progress.sampling': 'Job `{id}`: {bar} sampling {value}/{max}{server}{eta}',
  'progress.delivering': 'Job `{id}` is done; uploading…',
  'done.summary': 'Done in {seconds} s.',
  'done.late': '{mention} your job `{id}` finished after Discord\'s 15-minute reply window, so here it is.',
  'done.replyGone': '{mention} your job `{id}` is done; its original reply was deleted, so here it is.',
  'done.noFiles': 'Job `{id}` finished but ComfyUI produced no files.',
  'done.dropped': 'Part of the workflow was skipped by ComfyUI: {reason}',
  'fail.unfit': 'Job `{id}` cannot run on any ComfyUI server here: {reason}. An admin can install what is missing, or pick another template.',
  'input.unfit': 'Template "{name}" cannot run on any ComfyUI server here: {reason}. An admin can install what is missing; templates that work now: {names}.',
  'comfy.downRunning': 'ComfyUI stopped answering while job `{id}` was inside it. The job is kept and will go on (or be sent again) as soon as ComfyUI is back.',
  'embed.negative': 'Negative',
  'embed.seed': 'Seed',
  'embed.steps': 'Steps',
  'embed.cfg': 'CFG',
  'embed.sampler': 'Sampler',
  'embed.checkpoint': 'Checkpoint',
  'embed.lora': 'LoRA',
  'embed.time': 'Time',
  'embed.frames': 'Frames',
  'embed.fps': 'FPS',
  'embed.motion': 'Motion',
  'embed.shrunk': 'Shrunk to fit the upload limit',
  'comfy.down': 'ComfyUI is unreachable right now. Job `{id}` is kept and will run as soon as it is back.',
  'fail.rejected': 'ComfyUI refused job `{id}`: {reason}',
  'fail.node': 'Job `{id}` failed in {nodeType}: {message}',
  'fail.oom': 'The GPU ran out of memory on job `{id}` ({nodeType}). Try a smaller size or fewer frames.',
  'fail.lost': 'ComfyUI lost job `{id}` twice (it restarted). Please try again.',
  'fail.interrupted': 'Job `{id}` was stopped on the ComfyUI server.',
  'fail.unreachable': 'ComfyUI could not be reached for job `{id}`.',
  'fail.http': 'ComfyUI kept answering job `{id}` with an error (HTTP {status}). An admin should look at its log.',
  'fail.tooLarge': 'Job `{id}` finished, but its result ({size}) is larger than this channel allows ({limit}) even after shrinking it.',
  'fail.unexpected': 'Something went wrong on our side (reference `{ref}`). An admin can find the details in the logs.',
  'cancelled': 'Job `{id}` was cancelled.',
  'input.quota': 'You already have {limit} jobs waiting. Wait for one to finish, or cancel one with /cancel.',
  'input.invalid': '{reason}',
  'input.unknownTemplate': 'There is no template "{name}". Available: {names}.',
  'input.wrongTemplate': 'Template "{name}" is for /{command}, not /{used}.',
  'input.noSize': 'Template "{name}" has no width and height to set, so it cannot take a size.',
  'input.notInstalled': '{what} "{value}" is not available on this server. Available: {options}.',
  'input.notInstalled.checkpoint': 'Checkpoint "{value}" is not available on this server. Available: {options}.',
  'input.notInstalled.sampler': 'Sampler "{value}" is not available on this server. Available: {options}.',
  'input.notInstalled.scheduler': 'Scheduler "{value}" is not available on this server. Available: {options}.',
  'input.notInstalled.lora': 'LoRA "{value}" is not available on this server. Available: {options}.',
  'image.missing': 'Attach a picture (PNG, JPEG or WebP).',
  'mask.missing': 'Attach a mask too: a picture that is white where to repaint and black where to keep.',
  'mask.shape': 'The mask is {mask} but the picture is {picture}: make the mask the same shape (the same size is best).',
  'mask.empty': 'That mask has nothing to repaint: paint white where the picture should change (black keeps it).',
  'image.type': 'That attachment is {type}; attach a PNG, JPEG or WebP picture.',
  'image.empty': 'That attachment is empty (0 bytes).',
  'image.tooBig': 'That image is {size}; the limit is {limit}.',
  'image.tooManyPixels': 'That image is {width}×{height}; the largest side may be {max} pixels.',
  'image.undecodable': 'That file could not be read as an image (it may be truncated or corrupt).',
  'image.host': 'That attachment does not come from Discord, so I will not download it.',
  'image.download': 'I could not download that attachment ({reason}). Please try again.',
  'queue.empty': 'Nothing is queued. ComfyUI reports {count} prompts of its own.',
  'queue.empty_one': 'Nothing is queued. ComfyUI reports {count} prompt of its own.',
  'queue.running': '**Now:** `{id}` {command} by {user}{mine} — {progress} ({age})',
  'queue.waitingHeader': '**Waiting, in the order they will run:**',
  'queue.waiting': '{index}. `{id}` {command} by {user}{mine} — {age} ago',
  'queue.more': '… and {count} more.',
  'queue.elsewhere': '… and {count} jobs from other servers or direct messages.',
  'queue.elsewhere_one': '… and {count} job from another server or a direct message.',
  'queue.mine': ' (yours)',
  'queue.server': ' on {server}',
  'queue.state.uploading': 'uploading',
  'queue.state.comfyQueue': 'waiting in ComfyUI (position {position})',
  'queue.state.running': 'running',
  'queue.state.sent': 'sent to ComfyUI',
  'queue.comfy': 'ComfyUI reports {count} prompts in its own queue.',
  'queue.comfy_one': 'ComfyUI reports {count} prompt in its own queue.',
  'queue.comfyDown': 'ComfyUI is not answering right now.',
  'time.seconds': '{n} s',
  'time.minutes': '{n} min',
  'time.hours': '{h} h {m} min',
  'time.days': '{d} d {h} h',
  'status.up': '**{label}** — 🟢 {details}',
  'status.down': '**{label}** — 🔴 not answering',
  'status.gpu': '{gpu}',
  'status.vram': 'VRAM {free} free of {total}',
  'status.queue': 'its queue: {count}',
  'status.version': 'ComfyUI {version}',
  'status.bot': 'Bot: {waiting} waiting, {inFlight} with ComfyUI; up {uptime}.',
  'jobs.othersForbidden': 'Only members with Manage Server (or the admin role) may look at another member\'s jobs.',
  'jobs.none': 'No jobs to show.',
  'jobs.line': '`{id}` {command} · {state} · <t:{at}:R> · {prompt}{link}',
  'jobs.link': ' · [result]({url})',
  'state.waiting': 'waiting',
  'state.submitting': 'sending',
  'state.submitted': 'in ComfyUI\'s queue',
  'state.running': 'running',
  'state.delivering': 'uploading',
  'state.done': 'done',
  'state.failed': 'failed',
  'state.cancelled': 'cancelled',
  'show.notYours': 'Job `{id}` is not yours to show.',
  'show.notFinished': 'Job `{id}` has not finished yet; /queue shows where it is.',
  'show.nothing': 'Job `{id}` has no result to show.',
  'show.gone': 'ComfyUI no longer has the files of job `{id}` (they may have been cleaned up), so it cannot be shown again.',
  'queue.tooFast': 'You are asking for the queue too often; try again in a few seconds.',
  'refused.note': 'Not queued; the reason was sent to you privately.',
  'access.guild': 'This bot is not enabled in this server.',
  'access.channel': 'This bot works in {channels}.',
  'access.role': '{command} is for members with {roles}.',
  'access.dm': 'This bot only works in servers, not in direct messages.',
  'quota.cooldown': 'Please wait a moment between jobs: you can start another <t:{at}:R>.',
  'quota.hourly': 'You have reached {limit} jobs this hour; you can start another <t:{at}:R>.',
  'quota.guildHourly': 'This server has reached its {limit} jobs this hour; the next one can start <t:{at}:R>.',
  'quota.guildWaiting': 'This server already has {limit} jobs waiting. Please try again when some have finished.',
  'quota.dmHourly': 'Direct messages have reached their {limit} jobs this hour; the next one can start <t:{at}:R>.',
  'quota.dmWaiting': 'Direct messages already have {limit} jobs waiting. Please try again when some have finished.',
  'input.banned': 'That prompt contains a word this server does not allow ("{word}"). Please rephrase it.',
  'bot.adminOnly': 'Only members with Manage Server (or the admin role) may do that.',
  'bot.paused': 'Paused: new jobs still queue, and none is sent to ComfyUI until /bot resume.',
  'bot.alreadyPaused': 'The queue was already paused.',
  'bot.resumed': 'Resumed: queued jobs go to ComfyUI again.',
  'bot.notPaused': 'The queue was not paused.',
  'bot.reloaded': 'Reloaded config.yaml and the templates. Now in use: {changed}.',
  'bot.reloadUnchanged': 'Reloaded config.yaml and the templates: nothing changed.',
  'bot.reloadRestart': 'Changed, but used only after a restart: {settings}.',
  'bot.reloadOverridden': 'Set in the environment (or .env), which wins over config.yaml: {settings}.',
  'bot.reloadFailed': 'The new settings were refused; the old ones are still in use. Fix this and reload again:\n{problems}',
  'bot.noTemplatesDir': 'Set TEMPLATES_DIR (a folder the bot may write) to add templates from Discord.',
  'bot.importFailed': 'That workflow cannot become a template: {reason}',
  'bot.importGone': 'That import is no longer waiting (it was saved, it expired after 15 minutes, or another admin started it). Attach the file again.',
  'bot.importFound': 'Template `{name}` (/{command}) from this file:\n{found}',
  'bot.importMissing': 'No server can run it yet: {missing}',
  'bot.importFits': 'A server here can run it.',
  'bot.importSaved': 'Saved `{name}`; it can be used now.',
  'button.save': 'Save',
  'bot.templateRuns': '✔ `{name}` (/{command})',
  'bot.templateCannot': '✘ `{name}` (/{command}): {missing}',
  'queue.paused': 'Queued as job `{id}` — #{position} in line. An admin has paused the queue; it goes on when they resume it.',
  'bot.restarting': 'The bot is restarting; please try again in a minute.',
  'bot.ledgerFailed': 'I could not save job `{id}` (the bot\'s job database is not writable right now), so it was not queued. Please try again in a minute.',
  'button.cancel': 'Cancel',
  'button.reroll': 'Reroll',
  'button.varySubtle': 'Vary (subtle)',
  'button.varyStrong': 'Vary (strong)',
  'button.upscale': 'Upscale',
  'button.animate': 'Animate',
  'button.edit': 'Edit',
  'button.delete': 'Delete',
  'result.gone': 'That result is no longer in the bot\'s records (finished jobs are kept {days} days). Start a new job instead.',
  'result.mismatch': 'That button does not belong to this message.',
  'result.notYours': 'Only the member who made job `{id}` (or an admin of this server) can delete it.',
  'result.deleted': 'Deleted the result of job `{id}`.',
  'result.noPicture': 'Picture {image} of job `{id}` is no longer attached to that message.',
  'result.fromText': 'Job `{id}` was not made from a text prompt, so it cannot be rerolled or edited.',
  'edit.title': 'Edit the prompt',
  'edit.prompt': 'Prompt',
  'edit.negative': 'Negative prompt',
  'embed.from': 'Made from',
  'embed.fromValue': 'picture {image} of job `{id}`',
  'embed.fromJob': 'job `{id}`',
  'cancel.none': 'You have no job to cancel.',
  'cancel.notFound': 'There is no active job `{id}`.',
  'cancel.notYours': 'Job `{id}` is not yours to cancel.',
  'cancel.finished': 'Job `{id}` has already finished.',
  'cancel.removed': 'Cancelled job `{id}` before it started.',
  'cancel.deleted': 'Cancelled job `{id}`; it is removed from ComfyUI\'s queue.',
  'cancel.interrupted': 'Stopping job `{id}` on ComfyUI…',
  'cancel.deferred': 'ComfyUI is not answering right now; job `{id}` will be stopped there as soon as it does.',
  'cancel.stopping': 'Cancelling job `{id}`: it was on its way to ComfyUI and will be stopped there as soon as ComfyUI has it.',
  'cancel.all': 'Cancelled {count} jobs in this server.',
  'cancel.all_one': 'Cancelled {count} job in this server.',
  'cancel.allForbidden': 'Only members with Manage Server may cancel everything.',
  'cancel.allForbiddenRole': 'Only members with Manage Server or the <@&{role}> role may cancel everything.',
} as const;

export type MessageId = keyof typeof en;

/** What a member is told for each way a cancel can end (the /cancel command and the Cancel button alike). */
export const CANCEL_ANSWERS: Readonly<Record<CancelOutcome, MessageId>> = {
  removed: 'cancel.removed', 'deleted-from-comfy': 'cancel.deleted', interrupted: 'cancel.interrupted', stopping: 'cancel.stopping',
  deferred: 'cancel.deferred', 'not-found': 'cancel.notFound', 'not-yours': 'cancel.notYours', finished: 'cancel.finished',
};
/** The message ids without plural variants: what every language must have. */
export type BaseMessageId = Exclude<MessageId, `${string}_one`>;
export type Catalog = Readonly<Partial<Record<MessageId, string>>> & Readonly<Record<BaseMessageId, string>>;

/** Sentences for members, by id, in one language: what commands and delivery are given instead of a catalog. */
export interface Messages {
  readonly locale: string;
  say(id: MessageId, values?: Record<string, string | number>): string;
}

/** The languages the bot speaks, by Discord locale; everything else gets English. */
const LANGUAGES: Readonly<Record<string, Catalog>> = { en, 'zh-CN': zhCN };

const i18n = i18next.createInstance();
void i18n.init({
  initAsync: false, fallbackLng: 'en', supportedLngs: Object.keys(LANGUAGES), load: 'currentOnly',
  resources: Object.fromEntries(Object.entries(LANGUAGES).map(([lng, catalog]) => [lng, { translation: catalog }])),
  // Our ids contain dots and colons; values are never HTML-escaped (Discord escaping happens where text is shown).
  keySeparator: false, nsSeparator: false, returnNull: false,
  interpolation: { prefix: '{', suffix: '}', escapeValue: false },
});

/** The language for a Discord locale (`zh-CN`, `en-US`…): ours when we have it, English otherwise. */
export function languageOf(locale: string | null | undefined): string {
  return locale && Object.hasOwn(LANGUAGES, locale) ? locale : 'en';
}

/** The sentences in a member's (or a server's) language. */
export function messagesFor(locale: string | null | undefined): Messages {
  const lng = languageOf(locale);
  return { locale: lng, say: (id, values = {}) => i18n.t(id, { ...values, lng }) };
}

/** Every language's catalog, for the parity test and command localizations. */
export const catalogs = LANGUAGES;

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KiB`;
  return `${bytes} bytes`;
}
