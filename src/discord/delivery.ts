import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DiscordAPIError, HTTPError, Routes, type REST, type RawFile } from 'discord.js';
import { ComfyError, ComfyHttpError } from '../comfy/errors.js';
import sharp from 'sharp';
import type { ComfyClient } from '../comfy/client.js';
import type { OutputFile } from '../comfy/outputs.js';
import type { PromptResult } from '../comfy/watcher.js';
import type { Job } from '../jobs/job.js';
import type { Logger } from '../log.js';
import { fitToLimit, type FittedFile } from './fit.js';
import { format, type Catalog, type MessageId } from './messages.js';
import { ThrottledEditor } from './progress.js';
import { buildEmbed } from './embed.js';
import { describeError, TooLargeError } from './user-error.js';

/** Discord's interaction tokens live 15 minutes; stop using one a little before that. */
const TOKEN_LIFETIME_MS = 15 * 60_000 - 30_000;
/** Errors that mean "this interaction's reply is gone": expired token, unknown webhook/message/interaction. */
const GONE_CODES = new Set([50027, 10015, 10008, 10062]);
const MISSING_PERMISSIONS = 50013;
const ENTITY_TOO_LARGE = 40005;
const ATTEMPTS = 4;

/** Worth another try: Discord or ComfyUI had a server error, or the network dropped. */
function transient(error: unknown): boolean {
  if (error instanceof DiscordAPIError) return error.status >= 500;
  if (error instanceof HTTPError) return error.status >= 500;
  if (error instanceof ComfyHttpError) return error.status >= 500;
  if (error instanceof ComfyError) return true;
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && /^(ECONN|ETIMEDOUT|UND_ERR|EPIPE|EAI_AGAIN)/.test(code);
}

function tooLarge(error: unknown): boolean {
  return (error instanceof DiscordAPIError && (Number(error.code) === ENTITY_TOO_LARGE || error.status === 413)) || (error instanceof HTTPError && error.status === 413);
}

export interface DeliveryOptions {
  rest: REST;
  appId: string;
  catalog: Catalog;
  /** The ComfyUI client holding a job's outputs. */
  comfyFor: (job: Job) => ComfyClient;
  logger: Logger;
  progressEditMs: number;
  now?: () => number;
  /** First pause between delivery attempts (doubles each time). */
  retryDelayMs?: number;
  /** Scrubs secrets from text that may carry server output (exception messages) before it is posted. */
  redact?: (text: string) => string;
}

interface MessageBody {
  content: string;
  embeds?: unknown[];
  attachments?: Array<{ id: number; filename: string }>;
  allowed_mentions: { parse: string[]; users?: string[] };
}

/** The one place that talks to Discord about a job: progress, results, failures. */
export class Delivery {
  private readonly editors = new Map<string, ThrottledEditor>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly now: () => number;

  constructor(private readonly options: DeliveryOptions) {
    this.now = options.now ?? Date.now;
  }

  say(id: MessageId, values: Record<string, string | number> = {}): string {
    return format(this.options.catalog, id, values);
  }

  /** Shows progress text on the job's reply (throttled; dropped once the token is too old). */
  progress(job: Job, text: string): void {
    if (!this.tokenAlive(job)) return;
    let editor = this.editors.get(job.id);
    if (!editor) {
      editor = new ThrottledEditor((next) => this.editOriginal(job, { content: next, allowed_mentions: { parse: [] } }).then(() => undefined), this.options.progressEditMs, this.now);
      this.editors.set(job.id, editor);
    }
    editor.show(text);
  }

  /** Resolves when every delivery in flight has finished, or after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs); });
    await Promise.race([Promise.allSettled([...this.inFlight]), deadline]);
    clearTimeout(timer);
  }

  /** Downloads the outputs, fits them under the upload limit and posts them with a compact embed. */
  complete(job: Job, result: PromptResult): Promise<'done' | 'failed'> {
    const delivering = this.deliver(job, result);
    this.inFlight.add(delivering);
    return delivering.finally(() => this.inFlight.delete(delivering));
  }

  private async deliver(job: Job, result: PromptResult): Promise<'done' | 'failed'> {
    await this.closeEditor(job);
    if (job.recovered && (await this.alreadyDelivered(job))) {
      this.options.logger.info({ job: job.id }, 'already delivered before the restart');
      return 'done';
    }
    if (result.outputs.length === 0) {
      await this.post(job, { content: this.say('done.noFiles', { id: job.id }), allowed_mentions: { parse: [] } }, []).catch(() => undefined);
      return 'failed';
    }
    let limit = job.origin.attachmentLimit;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.postResult(job, result, limit);
        return 'done';
      } catch (error) {
        if (tooLarge(error) && limit > 64 * 1024) {
          // Discord's real limit was lower than the interaction said: shrink harder and try again.
          limit = Math.floor(limit / 2);
          continue;
        }
        if (transient(error) && attempt < ATTEMPTS) {
          this.options.logger.warn({ err: error, job: job.id, attempt }, 'delivery failed; retrying');
          await sleep((this.options.retryDelayMs ?? 500) * 2 ** (attempt - 1));
          continue;
        }
        await this.fail(job, tooLarge(error) ? new TooLargeError(limit * 2, limit) : error);
        return 'failed';
      }
    }
  }

  private async postResult(job: Job, result: PromptResult, limit: number): Promise<void> {
    const files = await this.prepare(job, result.outputs, limit);
    const seconds = ((job.finishedAt ?? this.now()) - job.createdAt) / 1000;
    const embed = buildEmbed(this.options.catalog, job, seconds, files.some((file) => file.shrunk));
    const body: MessageBody = {
      content: this.say('done.summary', { seconds: seconds.toFixed(1) }),
      embeds: [embed],
      attachments: files.map((file, index) => ({ id: index, filename: file.name })),
      allowed_mentions: { parse: [] },
    };
    await this.post(job, body, files.map((file) => ({ name: file.name, data: file.bytes })));
  }

  /** Tells the member why the job ended without a result. */
  async fail(job: Job, error: unknown): Promise<void> {
    await this.closeEditor(job);
    const described = describeError(this.options.catalog, error, job.id);
    if (described.reference) this.options.logger.error({ err: error, job: job.id, reference: described.reference }, 'job failed unexpectedly');
    else this.options.logger.info({ job: job.id, reason: described.text }, 'job failed');
    await this.post(job, { content: described.text, allowed_mentions: { parse: [] } }, []).catch((postError: unknown) => {
      this.options.logger.warn({ err: postError, job: job.id }, 'could not tell the member about a failure');
    });
  }

  async notice(job: Job, text: string): Promise<void> {
    await this.closeEditor(job);
    await this.post(job, { content: text, allowed_mentions: { parse: [] } }, []).catch((error: unknown) => {
      this.options.logger.warn({ err: error, job: job.id }, 'could not post a notice');
    });
  }

  private async prepare(job: Job, outputs: readonly OutputFile[], limit: number): Promise<FittedFile[]> {
    const share = Math.floor(limit / outputs.length) - 4096;
    const files: FittedFile[] = [];
    for (const output of outputs) {
      const { stream } = await this.options.comfyFor(job).view(output);
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      const bytes = Buffer.concat(chunks);
      files.push(await fitToLimit({ name: basename(output.filename.replaceAll('\\', '/')), bytes }, share));
    }
    return this.addGifCompanions(files, limit);
  }

  /** Animated WebP does not play inline everywhere: add a GIF of it when both fit. */
  private async addGifCompanions(files: FittedFile[], limit: number): Promise<FittedFile[]> {
    const result = [...files];
    let total = files.reduce((sum, file) => sum + file.bytes.length, 0);
    for (const file of files) {
      if (!file.name.toLowerCase().endsWith('.webp')) continue;
      const meta = await sharp(file.bytes, { animated: true }).metadata();
      if ((meta.pages ?? 1) < 2) continue;
      const gif = await sharp(file.bytes, { animated: true }).gif().toBuffer();
      if (total + gif.length > limit - 4096) continue;
      total += gif.length;
      result.push({ name: file.name.replace(/\.webp$/i, '.gif'), bytes: gif, shrunk: file.shrunk });
    }
    return result;
  }

  /** Edits the reply while the token lives; otherwise (or if the reply is gone) posts to the channel, then DMs. */
  private async post(job: Job, body: MessageBody, files: RawFile[]): Promise<void> {
    let lead: MessageId = 'done.late';
    if (this.tokenAlive(job)) {
      try {
        const message = (await this.editOriginal(job, body, files)) as { id?: string };
        if (message.id) job.messageId ??= message.id;
        return;
      } catch (error) {
        if (!(error instanceof DiscordAPIError) || !(GONE_CODES.has(Number(error.code)) || error.status === 401)) throw error;
        this.options.logger.info({ job: job.id, code: error.code }, 'interaction reply is gone; posting to the channel');
        if (Number(error.code) === 10008) lead = 'done.replyGone';
      }
    }
    const late: MessageBody = {
      ...body,
      content: `${this.say(lead, { mention: `<@${job.requester.id}>`, id: job.id })}\n${body.content}`,
      allowed_mentions: { parse: [], users: [job.requester.id] },
    };
    try {
      if (!job.origin.channelId) throw new Error('no channel to post in');
      await this.options.rest.post(Routes.channelMessages(job.origin.channelId), { body: this.scrubbed(late), files });
    } catch (error) {
      if (!(error instanceof DiscordAPIError) || Number(error.code) !== MISSING_PERMISSIONS) throw error;
      const dm = (await this.options.rest.post(Routes.userChannels(), { body: { recipient_id: job.requester.id } })) as { id: string };
      await this.options.rest.post(Routes.channelMessages(dm.id), { body: this.scrubbed(late), files });
    }
  }

  private async editOriginal(job: Job, body: MessageBody, files: RawFile[] = []): Promise<unknown> {
    return this.options.rest.patch(Routes.webhookMessage(this.options.appId, job.origin.interactionToken), { body: this.scrubbed(body), files, auth: false });
  }

  private scrubbed(body: MessageBody): MessageBody {
    const redact = this.options.redact;
    return redact ? { ...body, content: redact(body.content) } : body;
  }

  /** After a crash mid-upload, Discord may already show the result: look before posting it twice. */
  private async alreadyDelivered(job: Job): Promise<boolean> {
    if (!this.tokenAlive(job)) return false;
    try {
      const message = (await this.options.rest.get(Routes.webhookMessage(this.options.appId, job.origin.interactionToken), { auth: false })) as { attachments?: unknown[] };
      return (message.attachments?.length ?? 0) > 0;
    } catch {
      return false;
    }
  }

  private tokenAlive(job: Job): boolean {
    return this.now() - job.origin.interactionAt < TOKEN_LIFETIME_MS;
  }

  private async closeEditor(job: Job): Promise<void> {
    const editor = this.editors.get(job.id);
    this.editors.delete(job.id);
    await editor?.close();
  }
}
