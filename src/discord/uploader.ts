import { z } from 'zod';
import { clip } from '../secrets.js';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request, type Dispatcher } from 'undici';

/** Discord's error body (`{ code, message }`), read leniently: a proxy's HTML page is an error too. */
const DiscordErrorBodySchema = z.looseObject({ code: z.coerce.number().int().catch(0), message: z.string().optional().catch(undefined) }).catch({ code: 0, message: undefined });

/** A file to send: opened anew on every attempt, so a retry streams it again instead of keeping it in memory. */
export interface OutgoingUpload {
  name: string;
  contentType: string;
  /** Bytes when they are already in memory (a re-encoded image), else a stream and its length. */
  open(): Promise<Buffer | { stream: Readable; length: number }>;
}

export class DiscordHttpError extends Error {
  override name = 'DiscordHttpError';
  constructor(readonly status: number, readonly code: number, message: string, readonly route: string) {
    super(`Discord answered ${status} (${code}) to ${route}: ${message}`);
  }
}

export interface UploaderOptions {
  /** Like discord.js's `rest.api`: `https://discord.com/api`, without the version. */
  apiBase: string;
  botToken: string;
  dispatcher?: Dispatcher;
  /** 429s waited out before giving up. */
  maxRateLimitRetries?: number;
  /** Told of every 429 (for the metrics). */
  onRateLimited?: (route: string) => void;
}

const SAFE_NAME = /[^\w.-]+/g;
/** Server errors (or dropped connections) retried before giving up. */
const SERVER_RETRIES = 2;

/** A request that can be sent again without risk: an edit or a read, or a POST Discord dedupes by its nonce. */
function repeatable(method: string, body: unknown): boolean {
  if (method !== 'POST') return true;
  return typeof body === 'object' && body !== null && 'enforce_nonce' in body && body.enforce_nonce === true;
}

/** The connection failed or dropped before an answer came: the request may or may not have been handled. */
function connectionLost(error: unknown): boolean {
  const code = error instanceof Error && 'code' in error ? error.code : undefined;
  return typeof code === 'string' && /^(ECONNRESET|EPIPE|ETIMEDOUT|UND_ERR_SOCKET|UND_ERR_CLOSED)$/.test(code);
}

/**
 * Discord REST calls that carry files, streamed as multipart/form-data straight from ComfyUI's /view to Discord.
 * discord.js buffers every file (twice) and puts interaction-webhook edits behind the bot's global 50/s limit,
 * which Discord does not apply to interaction endpoints; this keeps big deliveries flat in memory and fast.
 */
export class DiscordUploader {
  private readonly dispatcher: Dispatcher;

  constructor(private readonly options: UploaderOptions) {
    this.dispatcher = options.dispatcher ?? new Agent({ keepAliveTimeout: 30_000, connections: 32 });
  }

  /** `auth: false` for interaction webhooks (their token is in the route); the bot token otherwise. */
  async send(method: 'GET' | 'PATCH' | 'POST', route: string, options: { body?: unknown; files?: readonly OutgoingUpload[]; auth: boolean }): Promise<unknown> {
    let serverErrors = 0;
    const retryable = repeatable(method, options.body);
    const dedupedPost = method === 'POST' && retryable;
    for (let attempt = 0; ; attempt++) {
      let response: Dispatcher.ResponseData;
      let text: string;
      try {
        response = await this.attempt(method, route, options);
        text = await response.body.text();
      } catch (error) {
        // A dropped connection is retried only for a POST Discord dedupes by its nonce: it may have been posted already.
        if (!dedupedPost || !connectionLost(error) || serverErrors++ >= SERVER_RETRIES) throw error;
        await sleep(100 * serverErrors);
        continue;
      }
      if (response.statusCode === 429) this.options.onRateLimited?.(route);
      if (response.statusCode === 429 && attempt < (this.options.maxRateLimitRetries ?? 5)) {
        const retryAfter = Number(response.headers['retry-after'] ?? 1);
        await sleep(Math.max(0, retryAfter) * 1000 + 50);
        continue;
      }
      // Edits are idempotent, so a passing gateway error is retried at once; a POST might have gone through, so it
      // is retried only when it carries a nonce Discord enforces (the same message comes back instead of a second).
      if (response.statusCode >= 500 && retryable && serverErrors++ < SERVER_RETRIES) {
        await sleep(100 * serverErrors);
        continue;
      }
      const data: unknown = text ? safeJson(text) : undefined;
      if (response.statusCode >= 400) {
        const { code, message } = DiscordErrorBodySchema.parse(data ?? {});
        throw new DiscordHttpError(response.statusCode, code, message ?? clip(text, 200), route.replace(/\/webhooks\/(\d+)\/[^/]+/, '/webhooks/$1/:token'));
      }
      return data;
    }
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  private async attempt(method: string, route: string, options: { body?: unknown; files?: readonly OutgoingUpload[]; auth: boolean }): Promise<Dispatcher.ResponseData> {
    const headers: Record<string, string> = { 'user-agent': 'DiscordBot (comfy-discord-bot, 0.1)' };
    if (options.auth) headers['authorization'] = `Bot ${this.options.botToken}`;
    const url = `${this.options.apiBase}/v10${route}`;
    if (!options.files?.length) {
      if (options.body !== undefined) headers['content-type'] = 'application/json';
      return request(url, { method: method as Dispatcher.HttpMethod, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body), dispatcher: this.dispatcher });
    }
    const { body, length, boundary, dispose } = await multipart(options.body, options.files);
    headers['content-type'] = `multipart/form-data; boundary=${boundary}`;
    headers['content-length'] = String(length);
    try {
      return await request(url, { method: method as Dispatcher.HttpMethod, headers, body: Readable.from(body), dispatcher: this.dispatcher });
    } finally {
      dispose();
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: clip(text, 200) };
  }
}

/** The multipart body as a stream with an exact length (Discord, like most servers, wants Content-Length). */
async function multipart(json: unknown, files: readonly OutgoingUpload[]): Promise<{ body: AsyncGenerator<Buffer>; length: number; boundary: string; dispose: () => void }> {
  const boundary = `----comfybot${randomBytes(12).toString('hex')}`;
  const opened = await Promise.all(files.map((file) => file.open()));
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="payload_json"\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(json ?? {})}\r\n`);
  const partHeads = files.map((file, index) => Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="files[${index}]"; filename="${file.name.replace(SAFE_NAME, '_')}"\r\nContent-Type: ${file.contentType}\r\n\r\n`,
  ));
  const tail = Buffer.from(`--${boundary}--\r\n`);
  const sizes = opened.map((part) => (Buffer.isBuffer(part) ? part.length : part.length));
  const length = head.length + tail.length + partHeads.reduce((sum, part, index) => sum + part.length + (sizes[index] as number) + 2, 0);
  async function* body(): AsyncGenerator<Buffer> {
    yield head;
    for (const [index, part] of opened.entries()) {
      yield partHeads[index] as Buffer;
      if (Buffer.isBuffer(part)) yield part;
      else for await (const chunk of part.stream) yield chunk as Buffer;
      yield Buffer.from('\r\n');
    }
    yield tail;
  }
  // Whatever happens to the request, no ComfyUI download is left open.
  const dispose = (): void => {
    for (const part of opened) if (!Buffer.isBuffer(part)) part.stream.destroy();
  };
  return { body: body(), length, boundary, dispose };
}
