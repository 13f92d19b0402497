import { clip } from '../secrets.js';
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Agent, FormData, request, type Dispatcher } from 'undici';
import type { z } from 'zod';
import {
  ComfyHttpError,
  ComfyProtocolError,
  ComfyTimeoutError,
  ComfyUnreachableError,
  PromptRejectedError,
} from './errors.js';
import { explainPromptError } from './explain.js';
import {
  HistoryEntrySchema,
  HistorySchema,
  parseObjectInfo,
  PromptErrorBodySchema,
  PromptInfoSchema,
  PromptOkSchema,
  QueueSchema,
  RawObjectInfoSchema,
  SystemStatsSchema,
  UploadResultSchema,
  type FileRef,
  type HistoryEntry,
  type NodeErrors,
  type ObjectInfo,
  type ParsedObjectInfo,
  type SystemStats,
  type UploadResult,
  type Workflow,
} from './schemas.js';
import { httpUrl, type ComfyServer } from './server.js';

export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface QueuePromptOptions extends CallOptions {
  /** Our own id (a canonical lowercase UUID); generated when omitted. */
  promptId?: string;
  front?: boolean;
  number?: number;
  extraData?: Record<string, unknown>;
}

export interface QueuedPrompt {
  promptId: string;
  number: number;
  /** Non-empty when some outputs failed validation and were dropped (a 200 can carry errors). */
  nodeErrors: NodeErrors;
}

export interface QueueItem {
  number: number;
  promptId: string;
  clientId: string | undefined;
  outputs: string[];
}

export interface QueueSnapshot {
  running: QueueItem[];
  /** Sorted into execution order (the server sends heap order). */
  pending: QueueItem[];
}

export interface ViewResult {
  stream: Readable;
  contentType: string;
  contentLength: number | undefined;
}

export interface UploadOptions extends CallOptions {
  subfolder?: string;
  type?: 'input' | 'temp' | 'output';
  overwrite?: boolean;
}

export interface ComfyClientOptions {
  server: ComfyServer;
  /** Sent with every prompt and used as the websocket clientId, so events reach us. */
  clientId: string;
  timeoutMs?: number;
  dispatcher?: Dispatcher;
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'EPIPE',
  'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_CONNECT_TIMEOUT',
]);

interface RawCall {
  method: Dispatcher.HttpMethod;
  path: string;
  query?: Record<string, string>;
  json?: unknown;
  form?: FormData;
}

/** A typed client for one ComfyUI server. No Discord in here. */
export class ComfyClient {
  readonly server: ComfyServer;
  readonly clientId: string;
  readonly timeoutMs: number;
  private readonly dispatcher: Dispatcher;
  /** Servers before July 2025 ignore `prompt_id`; NEWEST rejects non-canonical ones. Learned on first use. */
  private acceptsOwnPromptId = true;

  constructor(options: ComfyClientOptions) {
    this.server = options.server;
    this.clientId = options.clientId;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.dispatcher = options.dispatcher ?? new Agent({ keepAliveTimeout: 30_000, connections: 16 });
  }

  /** The base URL without credentials or token query, for logs and messages. */
  get displayUrl(): string {
    return this.server.baseUrl;
  }

  async queuePrompt(workflow: Workflow, options: QueuePromptOptions = {}): Promise<QueuedPrompt> {
    const ownId = options.promptId ?? randomUUID();
    const body: Record<string, unknown> = {
      prompt: workflow,
      client_id: this.clientId,
      extra_data: { ...(options.extraData ?? {}), client_id: this.clientId },
    };
    if (options.front) body['front'] = true;
    if (options.number !== undefined) body['number'] = options.number;
    if (this.acceptsOwnPromptId) body['prompt_id'] = ownId;
    const { status, text, url } = await this.callText({ method: 'POST', path: '/prompt', json: body }, options);
    if (status === 400) {
      const rejected = this.parsePromptError(text, url);
      if (rejected.errorType === 'invalid_prompt_id' && this.acceptsOwnPromptId) {
        this.acceptsOwnPromptId = false;
        return this.queuePrompt(workflow, options);
      }
      throw rejected;
    }
    if (status !== 200) throw new ComfyHttpError(status, url, text);
    const ok = parseJson(PromptOkSchema, text, url);
    if (ok.prompt_id !== ownId) this.acceptsOwnPromptId = false;
    return { promptId: ok.prompt_id, number: ok.number, nodeErrors: ok.node_errors };
  }

  async queueRemaining(options?: CallOptions): Promise<number> {
    return (await this.getJson(PromptInfoSchema, '/prompt', {}, options)).exec_info.queue_remaining;
  }

  async getQueue(options?: CallOptions): Promise<QueueSnapshot> {
    const raw = await this.getJson(QueueSchema, '/queue', {}, options);
    return {
      running: raw.queue_running.flatMap(toQueueItem),
      pending: raw.queue_pending.flatMap(toQueueItem).sort((a, b) => a.number - b.number),
    };
  }

  async deleteFromQueue(promptIds: readonly string[], options?: CallOptions): Promise<void> {
    await this.postEmpty('/queue', { delete: promptIds }, options);
  }

  async clearQueue(options?: CallOptions): Promise<void> {
    await this.postEmpty('/queue', { clear: true }, options);
  }

  /** Targeted when `promptId` is given; servers before Sept 2025 interrupt whatever runs, so callers check /queue first. */
  async interrupt(promptId?: string, options?: CallOptions): Promise<void> {
    await this.postEmpty('/interrupt', promptId ? { prompt_id: promptId } : {}, options);
  }

  /** The finished entry, or undefined while pending/running or when unknown (see /queue to tell apart). */
  async getHistoryEntry(promptId: string, options?: CallOptions): Promise<HistoryEntry | undefined> {
    const path = `/history/${encodeURIComponent(promptId)}`;
    const history = await this.getJson(HistorySchema, path, {}, options);
    const entry = history[promptId];
    if (entry === undefined) return undefined;
    const parsed = HistoryEntrySchema.safeParse(entry);
    if (!parsed.success) throw new ComfyProtocolError(`${this.displayUrl}${path}`, 'the history entry is not an object');
    return parsed.data;
  }

  /** Recent history; entries that are not objects at all are left out. */
  async getHistory(maxItems?: number, options?: CallOptions): Promise<Record<string, HistoryEntry>> {
    const query: Record<string, string> = maxItems === undefined ? {} : { max_items: String(maxItems) };
    const raw = await this.getJson(HistorySchema, '/history', query, options);
    const entries: Record<string, HistoryEntry> = {};
    for (const [id, entry] of Object.entries(raw)) {
      const parsed = HistoryEntrySchema.safeParse(entry);
      if (parsed.success) entries[id] = parsed.data;
    }
    return entries;
  }

  async view(file: FileRef, options?: CallOptions): Promise<ViewResult> {
    const query = { filename: file.filename, subfolder: file.subfolder, type: file.type };
    const response = await this.callStream({ method: 'GET', path: '/view', query }, options);
    const length = Number(response.headers['content-length']);
    return {
      stream: response.body,
      contentType: String(response.headers['content-type'] ?? 'application/octet-stream'),
      contentLength: Number.isFinite(length) ? length : undefined,
    };
  }

  async uploadImage(bytes: Uint8Array, filename: string, options: UploadOptions = {}): Promise<UploadResult> {
    return this.upload('/upload/image', this.uploadForm(bytes, filename, options), options);
  }

  async uploadMask(bytes: Uint8Array, filename: string, originalRef: FileRef, options: UploadOptions = {}): Promise<UploadResult> {
    const form = this.uploadForm(bytes, filename, options);
    form.set('original_ref', JSON.stringify({ filename: originalRef.filename, subfolder: originalRef.subfolder, type: originalRef.type }));
    return this.upload('/upload/mask', form, options);
  }

  async systemStats(options?: CallOptions): Promise<SystemStats> {
    return this.getJson(SystemStatsSchema, '/system_stats', {}, options);
  }

  /** All node types, or one (`{}` when the server lacks it). Several MB on real servers: cache it. */
  async objectInfo(classType?: string, options?: CallOptions): Promise<ObjectInfo> {
    return (await this.objectInfoReport(classType, options)).info;
  }

  /** Like objectInfo, and names the node types whose description was unreadable (left out, never fatal). */
  async objectInfoReport(classType?: string, options?: CallOptions): Promise<ParsedObjectInfo> {
    const path = classType ? `/object_info/${encodeURIComponent(classType)}` : '/object_info';
    return parseObjectInfo(await this.getJson(RawObjectInfoSchema, path, {}, options));
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  private uploadForm(bytes: Uint8Array, filename: string, options: UploadOptions): FormData {
    const form = new FormData();
    form.set('image', new Blob([bytes]), filename);
    form.set('type', options.type ?? 'input');
    if (options.subfolder) form.set('subfolder', options.subfolder);
    form.set('overwrite', options.overwrite ? 'true' : 'false');
    return form;
  }

  private async upload(path: string, form: FormData, options: CallOptions): Promise<UploadResult> {
    const { status, text, url } = await this.callText({ method: 'POST', path, form }, options);
    if (status !== 200) throw new ComfyHttpError(status, url, text);
    return parseJson(UploadResultSchema, text, url);
  }

  private parsePromptError(text: string, url: string): PromptRejectedError {
    const body = parseJson(PromptErrorBodySchema, text, url);
    return new PromptRejectedError(body, explainPromptError(body));
  }

  private async getJson<T extends z.ZodType>(schema: T, path: string, query: Record<string, string>, options?: CallOptions): Promise<z.infer<T>> {
    const { status, text, url } = await this.callText({ method: 'GET', path, query }, options);
    if (status !== 200) throw new ComfyHttpError(status, url, text);
    return parseJson(schema, text, url);
  }

  private async postEmpty(path: string, json: unknown, options?: CallOptions): Promise<void> {
    const { status, text, url } = await this.callText({ method: 'POST', path, json }, options);
    if (status !== 200) throw new ComfyHttpError(status, url, text);
  }

  private async callText(call: RawCall, options?: CallOptions): Promise<{ status: number; text: string; url: string }> {
    return this.send(call, options, async (response, url) => ({ status: response.statusCode, text: await response.body.text(), url }));
  }

  private async callStream(call: RawCall, options?: CallOptions): Promise<Dispatcher.ResponseData> {
    return this.send(call, options, async (response, url) => {
      if (response.statusCode !== 200) throw new ComfyHttpError(response.statusCode, url, await response.body.text());
      return response;
    });
  }

  /** One request with a timeout that covers connect, headers and (for JSON) the body; `read` runs inside it. */
  private async send<T>(call: RawCall, options: CallOptions = {}, read: (response: Dispatcher.ResponseData, url: string) => Promise<T>): Promise<T> {
    const url = httpUrl(this.server, call.path, call.query);
    const shownUrl = `${this.displayUrl}${call.path}`;
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new ComfyTimeoutError(shownUrl, timeoutMs)), timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout.signal]) : timeout.signal;
    const headers: Record<string, string> = { ...this.server.headers };
    let body: string | FormData | undefined;
    if (call.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(call.json);
    } else if (call.form) {
      body = call.form;
    }
    try {
      const response = await request(url, { method: call.method, headers, body, signal, dispatcher: this.dispatcher, bodyTimeout: timeoutMs });
      return await read(response, shownUrl);
    } catch (error) {
      throw this.classify(error, timeout.signal, shownUrl);
    } finally {
      clearTimeout(timer);
    }
  }

  private classify(error: unknown, timeoutSignal: AbortSignal, shownUrl: string): unknown {
    if (error instanceof ComfyHttpError) return error;
    if (timeoutSignal.aborted) return timeoutSignal.reason as Error;
    const code = errorCode(error);
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
      return new ComfyTimeoutError(shownUrl, this.timeoutMs, { cause: error });
    }
    if (code && UNREACHABLE_CODES.has(code)) return new ComfyUnreachableError(this.displayUrl, { cause: error });
    return error;
  }
}

/** A queue item is `[number, prompt_id, prompt, extra_data, outputs, …]`; one without a string id is skipped. */
function toQueueItem(item: unknown): QueueItem[] {
  if (!Array.isArray(item)) return [];
  const [number, promptId, , extra, outputs] = item as unknown[];
  if (typeof promptId !== 'string') return [];
  const clientId = extra && typeof extra === 'object' && 'client_id' in extra && typeof extra.client_id === 'string' ? extra.client_id : undefined;
  return [{
    number: typeof number === 'number' ? number : 0,
    promptId,
    clientId,
    outputs: Array.isArray(outputs) ? outputs.map(String) : [],
  }];
}

function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = current.cause;
  }
  return undefined;
}

function parseJson<T extends z.ZodType>(schema: T, text: string, url: string): z.infer<T> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new ComfyProtocolError(url, `expected JSON, got ${JSON.stringify(clip(text, 80))}`);
  }
  const result = schema.safeParse(data);
  if (!result.success) throw new ComfyProtocolError(url, result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
  return result.data;
}
