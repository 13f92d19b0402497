import { basename, extname } from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { ComfyError, ComfyHttpError } from '../comfy/errors.js';
import type { ViewResult } from '../comfy/client.js';
import type { OutputFile } from '../comfy/outputs.js';
import type { PromptResult } from '../comfy/watcher.js';
import type { Job } from '../jobs/job.js';
import type { Logger } from '../log.js';
import { buildEmbed } from './embed.js';
import { messagesFor, type Messages, type MessageId } from './messages.js';
import { ThrottledEditor } from './progress.js';
import { DiscordHttpError, type DiscordUploader, type OutgoingUpload } from './uploader.js';
import { DiscordRest, type MessageRef, type PostedMessage, type RecentMessage } from './rest.js';
import { describeError, OutputsDroppedError, TooLargeError, UserError } from './user-error.js';
import type { Runnable } from '../service/derive.js';
import { MAX_PICTURES_PER_MESSAGE, resultRows } from './result-buttons.js';
import { splitWithin } from './split.js';

/** A message showing a job, and where it is (to edit it later). */
interface Posted {
  message: PostedMessage;
  ref: MessageRef;
}

/** A result is recorded in the ledger (where it went, then its message) so a restart can look before posting again. */
type Purpose = 'result' | 'notice' | 'show';

/** Discord's interaction tokens live 15 minutes; stop using one a little before that. */
const TOKEN_LIFETIME_MS = 15 * 60_000 - 30_000;
/** "This interaction's reply is gone": expired token, unknown webhook, message or interaction. */
const GONE_CODES = new Set([50027, 10015, 10008, 10062]);
const MISSING_PERMISSIONS = 50013;
const ENTITY_TOO_LARGE = 40005;
const ATTEMPTS = 4;
/** How far back a restart looks in a channel for a result it may already have posted. */
const RECENT_MESSAGES = 50;
/** Animated WebP up to this size also gets a GIF beside it, since WebP does not play inline everywhere. */
const COMPANION_MAX_BYTES = 8 * 1024 * 1024;
/** Discord takes at most 10 files per message. */
const MAX_FILES_PER_MESSAGE = 10;
/** Room kept in the upload limit for the JSON part and multipart framing. */
const OVERHEAD = 16 * 1024;

const MIME: Readonly<Record<string, string>> = {
  '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp', '.gif': 'image/gif',
  '.mp4': 'video/mp4', '.webm': 'video/webm', '.flac': 'audio/flac', '.mp3': 'audio/mpeg', '.wav': 'audio/wav',
};

/** Worth another try: Discord or ComfyUI had a server error, or the network dropped. */
function transient(error: unknown): boolean {
  if (error instanceof DiscordHttpError || error instanceof ComfyHttpError) return error.status >= 500;
  if (error instanceof ComfyError) return true;
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && /^(ECONN|ETIMEDOUT|UND_ERR|EPIPE|EAI_AGAIN)/.test(code);
}

function tooLarge(error: unknown): boolean {
  return error instanceof DiscordHttpError && (error.code === ENTITY_TOO_LARGE || error.status === 413);
}

function gone(error: unknown): error is DiscordHttpError {
  return error instanceof DiscordHttpError && (GONE_CODES.has(error.code) || error.status === 401);
}

export interface OutputSource {
  open(job: Job, file: OutputFile): Promise<ViewResult>;
  /** The job's delivery is over: anything fetched and unused can go. */
  done(job: Job): void;
}

export interface DeliveryOptions {
  /** The Discord REST seam: the calls delivery makes outside discord.js (see uploader.ts). */
  discord: Pick<DiscordUploader, 'send'>;
  appId: string;
  /** Where a finished job's outputs are read (fetching may have started while the job still ran). */
  outputs: OutputSource;
  logger: Logger;
  progressEditMs: number;
  now?: () => number;
  /** First pause between delivery attempts (doubles each time). */
  retryDelayMs?: number;
  /** Scrubs secrets from text that may carry server output (exception messages) before it is posted. */
  redact?: (text: string) => string;
  /** Which follow-up jobs some server can run now: their buttons are shown under results. */
  runnable?: () => Runnable;
  /** The job ledger: where a result goes is written before it is sent, and its message once Discord confirmed it. */
  ledger?: { update(job: Job): void };
  /** A server's label for the log (its address may carry credentials). */
  labelOf?: (backend: string | undefined) => string | undefined;
}

/** A message in a given language: built once the bot knows where (and so in which language) it is posted. */
type BodyFor = (texts: Messages) => MessageBody;

interface MessageBody {
  content: string;
  embeds?: unknown[];
  attachments?: Array<{ id: number; filename: string }>;
  allowed_mentions: { parse: string[]; users?: string[] };
  /** Buttons under the message: a Cancel button while the job is active, none once it has ended. */
  components?: unknown[];
}

/** The custom id of a job's Cancel button; the router reads it back. */
export const CANCEL_BUTTON_PREFIX = 'cancel:';

/** An animated WebP gets a GIF beside it (WebP does not play inline everywhere), added after the first post. */
interface Companion {
  name: string;
  source: Buffer;
}

interface Prepared {
  uploads: OutgoingUpload[];
  companions: Companion[];
  shrunk: boolean;
  /** Total bytes of the files. */
  bytes: number;
  /** Downloads opened while preparing and not yet sent: closed whatever happens. */
  dispose: () => void;
}

/** The one place that talks to Discord about a job: progress, results, failures. */
export class Delivery {
  private readonly editors = new Map<string, ThrottledEditor>();
  /** The newest preview picture of each running job not yet shown. */
  private readonly previews = new Map<string, { name: string; contentType: string; bytes: Buffer }>();
  /** Jobs whose reply shows a preview picture now. */
  private readonly previewShown = new Set<string>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly now: () => number;
  private botUserId: Promise<string> | undefined;

  private readonly rest: DiscordRest;

  /** What every log line about a job carries: its id, and the server's label once it has one. */
  private about(job: Job): { job: string; server?: string } {
    const server = job.backend === undefined ? undefined : this.options.labelOf?.(job.backend);
    return server === undefined ? { job: job.id } : { job: job.id, server };
  }

  constructor(private readonly options: DeliveryOptions) {
    this.rest = new DiscordRest(options.discord, options.appId);
    this.now = options.now ?? Date.now;
  }

  /** A job's sentences are in its requester's language... */
  private textsOf(job: Job): Messages {
    return messagesFor(job.locale);
  }

  /** ...except what is posted in a server's channel for everyone, which is in the server's language. */
  private channelTextsOf(job: Job): Messages {
    return messagesFor(job.guildLocale ?? job.locale);
  }

  /** Shows progress text on the job's reply (throttled; dropped once the token is too old). */
  progress(job: Job, text: string): void {
    if (!this.tokenAlive(job)) return;
    let editor = this.editors.get(job.id);
    if (!editor) {
      const components = [{ type: 1, components: [{ type: 2, style: 4, label: this.textsOf(job).say('button.cancel'), custom_id: `${CANCEL_BUTTON_PREFIX}${job.id}` }] }];
      editor = new ThrottledEditor((next) => {
        // The newest preview picture rides along with the next edit (one attachment, replaced each time).
        const preview = job.state === 'running' ? this.previews.get(job.id) : undefined;
        this.previews.delete(job.id);
        // A job that stopped running (sent back to wait after a server went away) shows no old picture.
        const stale = !preview && job.state !== 'running' && this.previewShown.delete(job.id);
        if (preview) this.previewShown.add(job.id);
        const attachments = preview ? { attachments: [{ id: 0, filename: preview.name }] } : stale ? { attachments: [] } : {};
        const body: MessageBody = { content: next, allowed_mentions: { parse: [] }, components, ...attachments };
        const files = preview ? [{ name: preview.name, contentType: preview.contentType, open: async () => preview.bytes }] : [];
        return this.editOriginal(job, body, files).then((sent) => this.rememberReply(job, sent));
      }, this.options.progressEditMs, this.now);
      this.editors.set(job.id, editor);
    }
    editor.show(text);
  }

  /**
   * A preview picture of a running job: shown on its reply with the next progress edit (the edit budget is
   * shared, so a frame only waits its turn and the latest wins); the result replaces it.
   */
  preview(job: Job, image: Buffer, format: 'jpeg' | 'png'): void {
    const editor = this.editors.get(job.id);
    if (!editor || job.state !== 'running' || !this.tokenAlive(job)) return;
    // A spoiler channel hides the picture forming as well as the result.
    this.previews.set(job.id, { name: `${job.spoiler ? 'SPOILER_' : ''}preview.${format === 'png' ? 'png' : 'jpg'}`, contentType: `image/${format}`, bytes: image });
    editor.touch();
  }

  /** Resolves when every delivery in flight has finished, or after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs); });
    await Promise.race([Promise.allSettled([...this.inFlight]), deadline]);
    clearTimeout(timer);
  }

  /** Streams the outputs to Discord (re-encoding only what must shrink to fit) with a compact embed. */
  complete(job: Job, result: PromptResult): Promise<'done' | 'failed'> {
    const delivering = this.deliver(job, result).finally(() => this.options.outputs.done(job));
    this.inFlight.add(delivering);
    return delivering.finally(() => this.inFlight.delete(delivering));
  }

  /**
   * /show: a finished job's result posted again as the reply to `reply` (another interaction), with its buttons,
   * from the files ComfyUI still has. Nothing about the job itself changes; errors reach the caller.
   */
  async show(job: Job, reply: { interactionToken: string; attachmentLimit: number }): Promise<void> {
    const shown: Job = { ...job, recovered: false, origin: { ...job.origin, interactionToken: reply.interactionToken, interactionAt: this.now(), attachmentLimit: reply.attachmentLimit } };
    const outputs = (job.outputs ?? []).map((output) => ({ ...output, nodeId: '', key: 'images' }));
    try {
      await this.postResult(shown, { promptId: job.promptId ?? '', outputs, cached: false }, reply.attachmentLimit, () => undefined, new Set(), 'show');
    } finally {
      this.options.outputs.done(shown);
    }
  }

  /** Tells the member why the job ended without a result. */
  /** `afterParts`: part of the result is already shown, so the reason follows it instead of replacing it. */
  async fail(job: Job, error: unknown, afterParts = false): Promise<void> {
    await this.closeEditor(job);
    const described = describeError(this.textsOf(job), error, job.id);
    if (described.reference) this.options.logger.error({ err: error, ...this.about(job), reference: described.reference }, 'job failed unexpectedly');
    else this.options.logger.info({ ...this.about(job), reason: described.text }, 'job failed');
    // `attachments: []` takes a preview picture off the reply. The same reference in whichever language it is told.
    const body: BodyFor = (texts) => ({ content: describeError(texts, error, job.id, described.reference).text, allowed_mentions: { parse: [] }, attachments: [] });
    await (afterParts ? this.postPart(job, body, [], 'fail') : this.post(job, body, [])).catch((postError: unknown) => {
      this.options.logger.warn({ err: postError, ...this.about(job) }, 'could not tell the member about a failure');
    });
  }

  async notice(job: Job, id: MessageId, values: Record<string, string | number> = {}): Promise<void> {
    await this.closeEditor(job);
    await this.post(job, (texts) => ({ content: texts.say(id, values), allowed_mentions: { parse: [] }, attachments: [] }), []).catch((error: unknown) => {
      this.options.logger.warn({ err: error, ...this.about(job) }, 'could not post a notice');
    });
  }

  private async deliver(job: Job, result: PromptResult): Promise<'done' | 'failed'> {
    await this.closeEditor(job);
    // Outputs already shown (a split result cut short by a restart) are not sent again; the rest follow them.
    const shown = new Set(job.delivered ?? []);
    if (job.recovered && shown.size === 0 && (await this.alreadyDelivered(job))) {
      this.options.logger.info(this.about(job), 'already delivered before the restart');
      return 'done';
    }
    if (result.outputs.length === 0) {
      if (job.dropped?.length) await this.fail(job, new OutputsDroppedError(job.dropped));
      else await this.post(job, (texts) => ({ content: texts.say('done.noFiles', { id: job.id }), allowed_mentions: { parse: [] }, attachments: [] }), []).catch(() => undefined);
      return 'failed';
    }
    // Written with where the result goes (record below): /show can post it again from ComfyUI's files.
    job.outputs = result.outputs.map(({ filename, subfolder, type, kind }) => ({ filename, subfolder, type, kind }));
    let limit = job.origin.attachmentLimit;
    let sent = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.postResult(job, result, limit, (bytes) => (sent = bytes), shown);
        return 'done';
      } catch (error) {
        if (tooLarge(error) && limit > 64 * 1024) {
          // Discord's real limit was lower than the interaction said: shrink harder and try again.
          limit = Math.floor(limit / 2);
          continue;
        }
        if (transient(error) && attempt < ATTEMPTS) {
          this.options.logger.warn({ err: error, ...this.about(job), attempt }, 'delivery failed; retrying');
          await sleep((this.options.retryDelayMs ?? 500) * 2 ** (attempt - 1));
          continue;
        }
        await this.fail(job, tooLarge(error) ? new TooLargeError(sent, limit) : error, shown.size > 0);
        return 'failed';
      }
    }
  }

  /**
   * Posts the outputs: in one message when they fit the upload limit, otherwise split over several in order (the
   * first edits the reply, the others follow it), each with the buttons of its own pictures. `shown` holds the
   * outputs already posted (and is kept in the ledger), so a retry or a restart sends only the rest. `onSize` learns
   * how many bytes of files were sent, so a "too large" answer can say the real size.
   */
  private async postResult(job: Job, result: PromptResult, limit: number, onSize: (bytes: number) => void, shown: Set<number>, purpose: Purpose = 'result'): Promise<void> {
    const remaining = result.outputs.map((_, index) => index).filter((index) => !shown.has(index));
    const opened = new Map<number, ViewResult>();
    try {
      for (const index of remaining) {
        const view = await this.options.outputs.open(job, result.outputs[index] as OutputFile);
        opened.set(index, view);
        // Its size is kept with the job, so /show can tell this file from a later one under the same name (ComfyUI
        // reuses names once its output folder is cleaned: a file of another size is someone else's picture).
        const kept = job.outputs?.[index];
        if (purpose === 'result' && kept && view.contentLength !== undefined) kept.bytes = view.contentLength;
        if (purpose === 'show' && kept?.bytes !== undefined && view.contentLength !== undefined && view.contentLength !== kept.bytes) throw new UserError('show.gone', { id: job.id });
      }
      const perMessage = result.outputs.some((output) => output.kind === 'image') ? MAX_PICTURES_PER_MESSAGE : MAX_FILES_PER_MESSAGE;
      const groups = splitWithin(remaining.map((index) => opened.get(index)?.contentLength), limit - OVERHEAD, perMessage).map((group) => group.map((at) => remaining[at] as number));
      for (const group of groups) {
        const prepared = await this.prepare(job, group.map((index) => ({ output: result.outputs[index] as OutputFile, view: opened.get(index) as ViewResult })), limit);
        // Those streams are the prepared uploads' now.
        for (const index of group) opened.delete(index);
        onSize(prepared.bytes);
        try {
          const body = this.resultBody(job, result, group, prepared);
          const first = shown.size === 0;
          const posted = first ? await this.post(job, body, prepared.uploads, purpose) : await this.postPart(job, body, prepared.uploads, group[0] ?? 0);
          for (const index of group) shown.add(index);
          if (purpose === 'result' && result.outputs.length > group.length) {
            job.delivered = [...shown];
            this.options.ledger?.update(job);
          }
          if (posted && prepared.companions.length > 0) this.track(this.addCompanions(job, posted, prepared.companions, limit - prepared.bytes - OVERHEAD));
        } finally {
          prepared.dispose();
        }
      }
    } finally {
      for (const view of opened.values()) discard(view.stream);
    }
  }

  private resultBody(job: Job, result: PromptResult, group: readonly number[], prepared: Prepared): BodyFor {
    return (texts) => this.resultBodyIn(texts, job, result, group, prepared);
  }

  private resultBodyIn(texts: Messages, job: Job, result: PromptResult, group: readonly number[], prepared: Prepared): MessageBody {
    const seconds = ((job.finishedAt ?? this.now()) - job.createdAt) / 1000;
    const dropped = job.dropped?.length ? `\n${texts.say('done.dropped', { reason: job.dropped.join('; ') })}` : '';
    return {
      content: `${texts.say('done.summary', { seconds: seconds.toFixed(1) })}${dropped}`,
      embeds: [buildEmbed(texts, job, seconds, prepared.shrunk)],
      attachments: prepared.uploads.map((upload, index) => ({ id: index, filename: upload.name })),
      allowed_mentions: { parse: [] },
      components: this.resultButtons(texts, job, result, group),
    };
  }

  /** A later part of a split result: a follow-up of the interaction while its token lives, else a channel post. */
  private async postPart(job: Job, bodyFor: BodyFor, files: readonly OutgoingUpload[], part: number | 'fail'): Promise<Posted | undefined> {
    if (this.tokenAlive(job)) {
      try {
        const message = await this.rest.followUp(job.origin.interactionToken, this.scrubbed(bodyFor(this.textsOf(job))), files);
        return message && { message, ref: { kind: 'followup', token: job.origin.interactionToken, messageId: message.id } };
      } catch (error) {
        if (!gone(error)) throw error;
      }
    }
    const channelId = job.origin.channelId ?? (await this.rest.openDm(job.requester.id));
    const body = bodyFor(job.origin.channelId ? this.channelTextsOf(job) : this.textsOf(job));
    const message = await this.rest.post(channelId, { ...this.scrubbed(body), nonce: `${nonceOf(job, 'result')}:${part}`.slice(0, 25), enforce_nonce: true }, files);
    return message && { message, ref: { kind: 'channel', channelId, messageId: message.id } };
  }

  /**
   * Buttons under one message of a result: a row per still picture it shows (by its index in the job's outputs)
   * and one for the job, whose buttons carry the message's first output index (a picture's attachment place is
   * its index minus that).
   */
  private resultButtons(texts: Messages, job: Job, result: PromptResult, group: readonly number[]): unknown[] {
    const runnable = this.options.runnable?.() ?? { img2img: false, upscale: false, img2vid: false };
    const pictures = group.filter((index) => result.outputs[index]?.kind === 'image');
    return resultRows(texts, { id: job.id, fromText: job.kind === 'imagine' }, pictures, runnable, group[0] ?? 0);
  }

  /** Encodes the GIF companions and adds them to the message already showing the result (best effort). */
  private async addCompanions(job: Job, posted: Posted, companions: readonly Companion[], room: number): Promise<void> {
    try {
      const sharp = (await import('sharp')).default;
      const files: OutgoingUpload[] = [];
      for (const companion of companions) {
        const gif = await sharp(companion.source, { animated: true }).gif().toBuffer();
        if (gif.length > room) continue;
        room -= gif.length;
        files.push({ name: companion.name, contentType: 'image/gif', open: async () => gif });
      }
      if (files.length === 0) return;
      const kept = posted.message.attachments.map((attachment) => ({ id: attachment.id }));
      const added = files.map((file, index) => ({ id: index, filename: file.name }));
      await this.rest.edit(posted.ref, { attachments: [...kept, ...added] }, files);
    } catch (error) {
      this.options.logger.warn({ err: error, ...this.about(job) }, 'could not add the GIF beside an animated WebP');
    }
  }

  private track(work: Promise<unknown>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  /**
   * Each output is streamed from ComfyUI when it fits its share of the limit (the first download is reused, a
   * retry downloads again); only images and animations that must shrink are read into memory and re-encoded.
   */
  private async prepare(job: Job, outputs: ReadonlyArray<{ output: OutputFile; view: ViewResult }>, limit: number): Promise<Prepared> {
    const share = Math.floor((limit - OVERHEAD) / outputs.length);
    const pending = new Set<Readable>();
    const uploads: OutgoingUpload[] = [];
    const companions: Companion[] = [];
    let shrunk = false;
    let total = 0;
    try {
      for (const { output, view: first } of outputs) {
        const name = basename(output.filename.replaceAll('\\', '/'));
        const contentType = MIME[extname(name).toLowerCase()] ?? 'application/octet-stream';
        pending.add(first.stream);
        const size = first.contentLength;
        const companion = output.kind === 'animation' && name.toLowerCase().endsWith('.webp') && (size ?? Infinity) <= COMPANION_MAX_BYTES;
        if (size !== undefined && size <= share && !companion) {
          let reuse: Readable | undefined = first.stream;
          uploads.push({
            name, contentType,
            open: async () => {
              if (reuse) {
                const stream = reuse;
                reuse = undefined;
                pending.delete(stream);
                return { stream, length: size };
              }
              const again = await this.options.outputs.open(job, output);
              return { stream: again.stream, length: again.contentLength ?? size };
            },
          });
          total += size;
          continue;
        }
        pending.delete(first.stream);
        const bytes = await readAll(first.stream, Math.max(share, COMPANION_MAX_BYTES) * 4);
        const { fitToLimit } = await import('./fit.js');
        const fitted = await fitToLimit({ name, bytes }, share);
        shrunk ||= fitted.shrunk;
        uploads.push({ name: fitted.name, contentType: MIME[extname(fitted.name).toLowerCase()] ?? contentType, open: async () => fitted.bytes });
        total += fitted.bytes.length;
        if (companion) companions.push({ name: fitted.name.replace(/\.webp$/i, '.gif'), source: fitted.bytes });
      }
    } catch (error) {
      for (const stream of pending) discard(stream);
      throw error;
    }
    // Discord hides an attachment whose name starts with SPOILER_ until it is clicked.
    const named = <T extends { name: string }>(file: T): T => (job.spoiler ? { ...file, name: `SPOILER_${file.name}` } : file);
    return { uploads: uploads.map(named), companions: companions.map(named), shrunk, bytes: total, dispose: () => { for (const stream of pending) discard(stream); } };
  }

  /** Edits the reply while the token lives; otherwise (or if the reply is gone) posts to the channel, then DMs. */
  /** Returns the edited reply (for later additions), or undefined when the result went to the channel or a DM. */
  private async post(job: Job, bodyFor: BodyFor, files: readonly OutgoingUpload[], purpose: Purpose = 'notice'): Promise<Posted | undefined> {
    let lead: MessageId = 'done.late';
    if (this.tokenAlive(job)) {
      try {
        this.record(job, purpose, 'original');
        const message = await this.editOriginal(job, bodyFor(this.textsOf(job)), files);
        if (!message) return undefined;
        job.messageId ??= message.id;
        this.record(job, purpose, 'original', message.id);
        return { message, ref: { kind: 'original', token: job.origin.interactionToken } };
      } catch (error) {
        if (!gone(error)) throw error;
        this.options.logger.info({ ...this.about(job), code: error.code }, 'interaction reply is gone; posting to the channel');
        if (error.code === 10008) lead = 'done.replyGone';
      }
    }
    // A post in the channel speaks the server's language; a DM the member's.
    const late = (texts: Messages): MessageBody => {
      const body = bodyFor(texts);
      return { ...body, content: `${texts.say(lead, { mention: `<@${job.requester.id}>`, id: job.id })}\n${body.content}`, allowed_mentions: { parse: [], users: [job.requester.id] } };
    };
    try {
      if (!job.origin.channelId) throw new Error('no channel to post in');
      return await this.postIn(job, 'channel', job.origin.channelId, late(this.channelTextsOf(job)), files, purpose);
    } catch (error) {
      if (!(error instanceof DiscordHttpError) || error.code !== MISSING_PERMISSIONS) throw error;
      return this.postIn(job, 'dm', await this.rest.openDm(job.requester.id), late(this.textsOf(job)), files, purpose);
    }
  }

  /**
   * Posts with a nonce derived from the job, which Discord enforces: sending it again (a retry, or after a restart)
   * within a few minutes returns the message already posted instead of a second one.
   */
  private async postIn(job: Job, kind: 'channel' | 'dm', channelId: string, body: MessageBody, files: readonly OutgoingUpload[], purpose: Purpose): Promise<Posted | undefined> {
    this.record(job, purpose, `${kind}:${channelId}`);
    const message = await this.rest.post(channelId, { ...this.scrubbed(body), nonce: nonceOf(job, purpose), enforce_nonce: true }, files);
    if (!message) return undefined;
    this.record(job, purpose, `${kind}:${channelId}`, message.id);
    return { message, ref: { kind: 'channel', channelId, messageId: message.id } };
  }

  /** Writes where a result is going (before sending) and the message that carries it (after); notices are not kept. */
  private record(job: Job, purpose: Purpose, target: string, messageId?: string): void {
    if (purpose !== 'result') return;
    job.deliveryTarget = target;
    if (messageId) job.deliveryMessageId = messageId;
    this.options.ledger?.update(job);
  }

  /** Edits the reply; anything but a progress edit (which brings its own button) clears the buttons. */
  private editOriginal(job: Job, body: MessageBody, files: readonly OutgoingUpload[] = []): Promise<PostedMessage | undefined> {
    return this.rest.editOriginal(job.origin.interactionToken, this.scrubbed({ components: [], ...body }), files);
  }

  /** Text that may carry server output (exception messages, echoed values) is scrubbed, embeds included. */
  private scrubbed(body: MessageBody): MessageBody {
    const redact = this.options.redact;
    if (!redact) return body;
    return { ...body, content: redact(body.content), ...(body.embeds ? { embeds: body.embeds.map((embed) => scrubStrings(embed, redact)) } : {}) };
  }

  /** After a crash mid-upload, Discord may already show the result: look where it was going before posting it twice. */
  private async alreadyDelivered(job: Job): Promise<boolean> {
    if (job.deliveryMessageId) return true;
    const target = job.deliveryTarget;
    // No target: nothing was sent, or the job predates the record (then the reply is the only place to look).
    if (target === undefined || target === 'original') return this.originalShowsResult(job);
    return this.channelShowsResult(job, target.slice(target.indexOf(':') + 1));
  }

  /** The reply's message id, written down once: after a restart with its token expired, it is still findable. */
  private rememberReply(job: Job, message: PostedMessage | undefined): void {
    if (job.messageId || !message) return;
    job.messageId = message.id;
    this.options.ledger?.update(job);
  }

  private async originalShowsResult(job: Job): Promise<boolean> {
    if (this.tokenAlive(job)) {
      try {
        return (await this.rest.getOriginal(job.origin.interactionToken)).attachments.length > 0;
      } catch (error) {
        if (!gone(error)) return false;
      }
    }
    // The token expired (during the restart, say): the reply is a message in the channel, readable with the bot's token.
    return job.messageId && job.origin.channelId ? this.messageShowsResult(job.origin.channelId, job.messageId) : false;
  }

  private async messageShowsResult(channelId: string, messageId: string): Promise<boolean> {
    try {
      return (await this.rest.getMessage(channelId, messageId)).attachments.length > 0;
    } catch {
      return false;
    }
  }

  /** Looks through a channel's (or DM's) latest messages for the bot's post of this job's result. */
  private async channelShowsResult(job: Job, channelId: string): Promise<boolean> {
    try {
      const [me, listed] = await Promise.all([this.ownUserId(), this.rest.recentMessages(channelId, RECENT_MESSAGES)]);
      return listed.some((message) => message.author.id === me && carriesResult(job, message));
    } catch (error) {
      // Not knowing is no reason to keep a result back: the post below carries the same nonce, so Discord dedupes it.
      this.options.logger.warn({ err: error, ...this.about(job), channel: channelId }, 'could not look for a result posted before the restart');
      return false;
    }
  }

  private ownUserId(): Promise<string> {
    this.botUserId ??= this.rest.me();
    this.botUserId.catch(() => (this.botUserId = undefined));
    return this.botUserId;
  }

  private tokenAlive(job: Job): boolean {
    return this.now() - job.origin.interactionAt < TOKEN_LIFETIME_MS;
  }

  private async closeEditor(job: Job): Promise<void> {
    const editor = this.editors.get(job.id);
    this.editors.delete(job.id);
    this.previews.delete(job.id);
    this.previewShown.delete(job.id);
    await editor?.close();
  }
}

/** Closes a download nobody will read; a stream destroyed with no listener would throw its abort as uncaught. */
function discard(stream: Readable): void {
  stream.on('error', () => undefined);
  stream.destroy();
}

/** At most 25 characters (Discord's limit), the same for a job across restarts. */
function nonceOf(job: Job, purpose: Purpose): string {
  return `${purpose}:${job.id}`.slice(0, 25);
}

/** A message carries the job's result when it has the result's nonce, or files under an embed footer naming the job. */
function carriesResult(job: Job, message: RecentMessage): boolean {
  if (message.nonce !== undefined && message.nonce !== null && String(message.nonce) === nonceOf(job, 'result')) return true;
  // The footer reads `<template> · job <id>` (and maybe more, after another ` · `).
  return message.attachments.length > 0 && message.embeds.some((embed) => (embed.footer?.text ?? '').split(' · ').includes(`job ${job.id}`));
}

function scrubStrings(value: unknown, redact: (text: string) => string): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((item) => scrubStrings(item, redact));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, scrubStrings(item, redact)]));
  return value;
}

/** Reads a download into memory, refusing to hold more than `maxBytes` (a server that sends no length). */
async function readAll(stream: Readable, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += (chunk as Buffer).length;
    if (total > maxBytes) {
      stream.destroy();
      throw new TooLargeError(total, maxBytes);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
