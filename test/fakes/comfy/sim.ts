import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ObjectInfo } from '../../../src/comfy/schemas.js';
import { buildObjectInfo } from './catalogue.js';
import { Executor, type NodeFailure } from './executor.js';
import { mimeOf, parseJsonBody, readBody, sendEmpty, sendJson, sendServerError } from './http-util.js';
import { handleUpload } from './uploads.js';
import { fileKey, inputFileKey, SimState, type PromptRecord } from './state.js';
import { validatePrompt, type SimWorkflow } from './validate.js';

export interface SimOptions {
  /** Simulated run time of one (uncached) prompt. */
  runMs: number;
  /** Progress steps per sampler; the KSampler's own `steps` input when undefined. */
  steps?: number;
  previews: boolean;
  /** Honours `extra_data.preview_method` per prompt, as ComfyUI v0.5+ does (v0.3.65, which the simulator is, ignores it). */
  perPromptPreviews: boolean;
  /** Answers the `feature_flags` handshake (servers before mid-2025 do not: their previews are all type 1). */
  previewMetadata: boolean;
  /** Size of generated images; PNG noise is about width·height·3 bytes. */
  imageWidth: number;
  imageHeight: number;
  frames: number;
  videoBytes: number;
  checkpoints: string[];
  videoCheckpoints: string[];
  /** What models/loras holds (LoraLoader's list). */
  loras: string[];
  videoHelperSuite: boolean;
  errorStyle: 'v0.3.64' | 'newest' | 'legacy';
  /** `accept`: v0.3.64 takes any prompt_id; `uuid`: NEWEST demands canonical UUIDs; `ignore`: before July 2025. */
  promptIdMode: 'accept' | 'uuid' | 'ignore';
  auth?: { bearer?: string; basic?: { user: string; pass: string } };
  maxUploadBytes: number;
  /** Delay between execution_success and the history write (real servers: up to ~300 ms). */
  historyDelayMs: number;
  /** Delay between the last `executed` and `execution_success`. */
  successDelayMs: number;
}

export interface SimFaults {
  /** Paths (without /api) answered with a 500 page, and how many more times (Infinity: until removed). */
  http500: Map<string, number>;
  /** Extra latency per path (without /api), before the request is handled. */
  slowMs: Map<string, number>;
  /** POST /prompt is handled (the prompt queued) at once, but its answer is held back this long. */
  lateAnswerMs?: number;
  /** GET /queue answers with the queue as it is now, but the answer is held back this long. */
  lateQueueMs?: number;
  /** Delay between chunks of /view bodies. */
  slowViewChunkMs: number;
  failNode?: NodeFailure;
  /** The socket stays open but sends nothing and answers no ping: dead, yet not closed. */
  silentSockets: boolean;
  /** Websocket upgrades are refused (a reverse proxy without websocket support); HTTP still works. */
  refuseWebsockets?: boolean;
}

export interface RequestRecord {
  method: string;
  path: string;
  at: number;
  /** The parsed JSON body of a POST, when it had one. */
  json?: unknown;
}

const DEFAULTS: SimOptions = {
  runMs: 50, previews: false, perPromptPreviews: false, previewMetadata: true, imageWidth: 64, imageHeight: 64, frames: 4, videoBytes: 4096,
  checkpoints: ['sd_xl_base_1.0.safetensors', 'dreamshaper_8.safetensors'], videoCheckpoints: ['svd_xt_1_1.safetensors'], loras: ['add-detail-xl.safetensors', 'pixel-art-xl.safetensors'],
  videoHelperSuite: true, errorStyle: 'v0.3.64', promptIdMode: 'accept', maxUploadBytes: 100 * 1024 * 1024, historyDelayMs: 0, successDelayMs: 0,
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A ComfyUI stand-in on 127.0.0.1: real HTTP and websocket traffic, as comfyui-api.md and the captures describe. */
export class ComfySim extends EventEmitter<{ finished: [string]; request: [RequestRecord] }> {
  readonly options: SimOptions;
  readonly faults: SimFaults = { http500: new Map(), slowMs: new Map(), slowViewChunkMs: 0, silentSockets: false };
  readonly state = new SimState();
  readonly prompts = new Map<string, PromptRecord>();
  readonly requests: RequestRecord[] = [];
  /** Bodies of accepted POST /prompt requests, as received. */
  readonly submitted: Array<Record<string, unknown>> = [];
  private server: Server | undefined;
  private wss: WebSocketServer | undefined;
  private readonly sockets = new Map<string, WebSocket>();
  private readonly negotiated = new WeakMap<WebSocket, boolean>();
  private readonly executor: Executor;
  private port = 0;

  constructor(options: Partial<SimOptions> = {}) {
    super();
    this.options = { ...DEFAULTS, ...options };
    this.executor = new Executor({
      state: this.state,
      options: () => ({
        runMs: this.options.runMs, steps: this.options.steps, previews: this.options.previews, perPromptPreviews: this.options.perPromptPreviews, historyDelayMs: this.options.historyDelayMs, successDelayMs: this.options.successDelayMs,
        media: { width: this.options.imageWidth, height: this.options.imageHeight, frames: this.options.frames, videoBytes: this.options.videoBytes },
      }),
      failure: () => this.faults.failNode,
      consumeFailure: () => {
        const failure = this.faults.failNode;
        if (failure?.times !== undefined && --failure.times <= 0) delete this.faults.failNode;
      },
      send: (type, data, sid) => this.send(type, data, sid),
      sendPreview: (image, sid, meta) => this.sendPreview(image, sid, meta),
      broadcastStatus: () => this.send('status', { status: { exec_info: { queue_remaining: this.state.queueRemaining() } } }, undefined),
      record: (id) => this.prompts.get(id),
      onFinish: (id) => this.emit('finished', id),
      now: () => performance.now(),
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get objectInfo(): ObjectInfo {
    return buildObjectInfo({
      checkpoints: this.options.checkpoints, videoCheckpoints: this.options.videoCheckpoints, loras: this.options.loras,
      videoHelperSuite: this.options.videoHelperSuite,
      inputFiles: () => [...this.state.files.keys()].filter((key) => key.startsWith('input/')).map((key) => key.split('/').slice(2).join('/')).sort(),
    });
  }

  async start(port = 0): Promise<this> {
    const server = createServer((req, res) => void this.handle(req, res).catch(() => sendServerError(res)));
    const wss = new WebSocketServer({ noServer: true, autoPong: false });
    server.on('upgrade', (req, socket, head) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/api(?=\/)/, '');
      if (path !== '/ws' || !this.authorized(req) || this.faults.refuseWebsockets) {
        socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws, req));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port || this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    this.wss = wss;
    return this;
  }

  /** The server goes away: connections are refused until `comeUp()`. */
  async goDown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const client of this.wss?.clients ?? []) client.terminate();
    this.sockets.clear();
    this.wss?.close();
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  async comeUp(): Promise<void> {
    await this.start(this.port);
  }

  /** A restart: queue, history, caches and temp files are gone; the port stays the same. */
  async restart(): Promise<void> {
    await this.goDown();
    this.executor.reset();
    this.state.wipe();
    await this.comeUp();
  }

  async stop(): Promise<void> {
    this.executor.reset();
    await this.goDown();
  }

  dropSockets(): void {
    for (const client of this.wss?.clients ?? []) client.terminate();
  }

  /** Resolves when the prompt has finished (success, error or interrupt). */
  waitFinished(promptId: string, timeoutMs = 10_000): Promise<void> {
    if (this.prompts.get(promptId)?.finishedAt !== undefined) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`prompt ${promptId} did not finish within ${timeoutMs} ms`)), timeoutMs);
      const listener = (id: string): void => {
        if (id !== promptId) return;
        clearTimeout(timer);
        this.off('finished', listener);
        resolve();
      };
      this.on('finished', listener);
    });
  }

  /** Bytes of a stored file, for assertions. */
  file(type: string, subfolder: string, filename: string): Buffer | undefined {
    return this.state.files.get(fileKey(type, subfolder, filename));
  }

  private authorized(req: IncomingMessage): boolean {
    const auth = this.options.auth;
    if (!auth) return true;
    const header = req.headers['authorization'] ?? '';
    if (auth.bearer && header === `Bearer ${auth.bearer}`) return true;
    if (auth.basic && header === `Basic ${Buffer.from(`${auth.basic.user}:${auth.basic.pass}`).toString('base64')}`) return true;
    return false;
  }

  private onSocket(ws: WebSocket, req: IncomingMessage): void {
    const sid = new URL(req.url ?? '/', 'http://x').searchParams.get('clientId') || randomUUID().replaceAll('-', '');
    this.sockets.set(sid, ws);
    ws.on('ping', (data) => { if (!this.faults.silentSockets) ws.pong(data); });
    ws.on('message', (data, isBinary) => {
      if (this.negotiated.has(ws)) return;
      const first = isBinary ? undefined : parseJsonBody(data as Buffer);
      const flags = first?.ok && (first.value as { type?: string }).type === 'feature_flags';
      this.negotiated.set(ws, this.options.previewMetadata && Boolean(flags && (first.value as { data?: { supports_preview_metadata?: boolean } }).data?.supports_preview_metadata));
      if (flags && this.options.previewMetadata) ws.send(JSON.stringify({ type: 'feature_flags', data: { supports_preview_metadata: true, max_upload_size: this.options.maxUploadBytes } }));
    });
    // ComfyUI removes the entry by clientId when any socket with that id closes — even a replaced one.
    ws.on('close', () => this.sockets.delete(sid));
    ws.send(JSON.stringify({ type: 'status', data: { status: { exec_info: { queue_remaining: this.state.queueRemaining() } }, sid } }));
    const running = this.state.running;
    if (running && running.extraData['client_id'] === sid) ws.send(JSON.stringify({ type: 'executing', data: { node: running.outputs[0] ?? null } }));
  }

  private send(type: string, data: Record<string, unknown>, sid: string | undefined): void {
    if (this.faults.silentSockets) return;
    const text = JSON.stringify({ type, data });
    if (sid === undefined) for (const ws of this.sockets.values()) ws.send(text);
    else this.sockets.get(sid)?.send(text);
  }

  /** As ComfyUI sends them: type 1 (format + JPEG), or type 4 (metadata JSON + JPEG) to a socket that negotiated it. */
  private sendPreview(image: Buffer, sid: string | undefined, meta: { promptId: string; nodeId: string }): void {
    if (this.faults.silentSockets) return;
    const targets = sid === undefined ? [...this.sockets.values()] : [this.sockets.get(sid)].filter((ws): ws is WebSocket => ws !== undefined);
    for (const ws of targets) {
      const header = Buffer.alloc(8);
      if (this.negotiated.get(ws)) {
        const json = Buffer.from(JSON.stringify({ node_id: meta.nodeId, prompt_id: meta.promptId, display_node_id: meta.nodeId, parent_node_id: null, real_node_id: meta.nodeId, image_type: 'image/jpeg' }));
        header.writeUInt32BE(4, 0);
        header.writeUInt32BE(json.length, 4);
        ws.send(Buffer.concat([header, json, image]));
      } else {
        header.writeUInt32BE(1, 0);
        header.writeUInt32BE(1, 4);
        ws.send(Buffer.concat([header, image]));
      }
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname.replace(/^\/api(?=\/)/, '');
    const record: RequestRecord = { method: req.method ?? 'GET', path: `${path}${url.search}`, at: performance.now() };
    this.requests.push(record);
    if (!this.authorized(req)) {
      this.emit('request', record);
      return sendJson(res, 401, { error: 'unauthorized' });
    }
    const slow = this.faults.slowMs.get(path.startsWith('/history/') ? '/history' : path);
    if (slow) await delay(slow);
    const faultKey = path.startsWith('/history/') ? '/history' : path.startsWith('/object_info') ? '/object_info' : path;
    const remaining = this.faults.http500.get(faultKey) ?? 0;
    if (remaining > 0) {
      if (remaining === 1) this.faults.http500.delete(faultKey);
      else this.faults.http500.set(faultKey, remaining - 1);
      return sendServerError(res);
    }
    const body = req.method === 'POST' ? await readBody(req, this.options.maxUploadBytes) : Buffer.alloc(0);
    if (body === 'too-large') return sendEmpty(res, 413);
    if (String(req.headers['content-type'] ?? '').includes('json')) {
      const parsed = parseJsonBody(body);
      if (parsed.ok) record.json = parsed.value;
    }
    this.emit('request', record);
    const key = `${req.method} ${path}`;
    switch (key) {
      case 'POST /prompt': return this.postPrompt(res, body);
      case 'GET /prompt': return sendJson(res, 200, { exec_info: { queue_remaining: this.state.queueRemaining() } });
      case 'GET /queue': return this.getQueue(res);
      case 'POST /queue': return this.postQueue(res, body);
      case 'POST /interrupt': return this.postInterrupt(res, body);
      case 'GET /history': return this.getHistory(res, url);
      case 'POST /history': return this.postHistory(res, body);
      case 'GET /view': return this.getView(req, res, url);
      case 'POST /upload/image': return handleUpload(this.state, req, res, body, false);
      case 'POST /upload/mask': return handleUpload(this.state, req, res, body, true);
      case 'GET /system_stats': return sendJson(res, 200, systemStats());
      case 'GET /object_info': return sendJson(res, 200, this.objectInfo);
      case 'GET /embeddings': return sendJson(res, 200, []);
      case 'GET /models': return sendJson(res, 200, ['checkpoints', 'loras', 'vae', 'embeddings']);
      case 'GET /features': return sendJson(res, 200, { supports_preview_metadata: true, max_upload_size: this.options.maxUploadBytes });
      case 'POST /free': return parseJsonBody(body).ok ? sendEmpty(res) : sendServerError(res);
    }
    if (req.method === 'GET' && path.startsWith('/history/')) {
      const entry = this.state.history.get(decodeURIComponent(path.slice('/history/'.length)));
      return sendJson(res, 200, entry ? { [decodeURIComponent(path.slice(9))]: entry } : {});
    }
    if (req.method === 'GET' && path.startsWith('/object_info/')) {
      const name = decodeURIComponent(path.slice('/object_info/'.length));
      const info = this.objectInfo[name];
      return sendJson(res, 200, info ? { [name]: info } : {});
    }
    if (req.method === 'GET' && path === '/models/checkpoints') return sendJson(res, 200, [...this.options.checkpoints].sort());
    const knownPaths = ['/prompt', '/queue', '/interrupt', '/history', '/view', '/upload/image', '/upload/mask', '/system_stats', '/object_info', '/free'];
    return sendEmpty(res, knownPaths.includes(path) ? 405 : 404);
  }

  private postPrompt(res: ServerResponse, body: Buffer): void {
    const parsed = parseJsonBody(body);
    if (!parsed.ok || typeof parsed.value !== 'object' || parsed.value === null) return sendServerError(res);
    const request = parsed.value as Record<string, unknown>;
    const number = typeof request['number'] === 'number' ? request['number'] : request['front'] ? -this.state.counter : this.state.counter;
    this.state.counter++;
    if (!('prompt' in request)) {
      return this.options.errorStyle === 'legacy'
        ? sendJson(res, 400, { error: 'no prompt', node_errors: [] })
        : sendJson(res, 400, { error: { type: 'no_prompt', message: 'No prompt provided', details: 'No prompt provided', extra_info: {} }, node_errors: {} });
    }
    const prompt = request['prompt'];
    if (typeof prompt !== 'object' || prompt === null || Array.isArray(prompt)) return sendServerError(res);
    const ownId = request['prompt_id'];
    if (this.options.promptIdMode === 'uuid' && ownId != null && !(typeof ownId === 'string' && UUID.test(ownId))) {
      return sendJson(res, 400, {
        error: { type: 'invalid_prompt_id', message: 'prompt_id must be a valid UUID', details: 'prompt_id must be a UUID string in canonical lowercase hyphenated form; omit it to let the server generate one', extra_info: {} },
        node_errors: {},
      });
    }
    const promptId = this.options.promptIdMode !== 'ignore' && ownId != null ? String(ownId) : randomUUID();
    const result = validatePrompt(prompt as SimWorkflow, this.objectInfo, {
      errorStyle: this.options.errorStyle,
      inputFileExists: (name) => this.state.files.has(inputFileKey(name)),
    });
    if (result.status !== 200) return sendJson(res, result.status, result.body);
    const extraData = { ...((request['extra_data'] as Record<string, unknown> | undefined) ?? {}) };
    if (typeof request['client_id'] === 'string') extraData['client_id'] = request['client_id'];
    this.submitted.push(request);
    this.state.pending.push({ number, promptId, prompt: prompt as SimWorkflow, extraData, outputs: result.outputs });
    this.prompts.set(promptId, { promptId, clientId: extraData['client_id'] as string | undefined, queuedAt: performance.now() });
    this.send('status', { status: { exec_info: { queue_remaining: this.state.queueRemaining() } } }, undefined);
    this.executor.kick();
    const answer = { prompt_id: promptId, number, node_errors: result.body['node_errors'] };
    if (this.faults.lateAnswerMs) setTimeout(() => sendJson(res, 200, answer), this.faults.lateAnswerMs);
    else sendJson(res, 200, answer);
  }

  private getQueue(res: ServerResponse): void {
    const item = (entry: { number: number; promptId: string; prompt: SimWorkflow; extraData: Record<string, unknown>; outputs: string[] }) =>
      [entry.number, entry.promptId, entry.prompt, entry.extraData, entry.outputs];
    const snapshot = {
      queue_running: this.state.running ? [item(this.state.running)] : [],
      queue_pending: this.state.pending.map(item),
    };
    if (this.faults.lateQueueMs) setTimeout(() => sendJson(res, 200, snapshot), this.faults.lateQueueMs);
    else sendJson(res, 200, snapshot);
  }

  private postQueue(res: ServerResponse, body: Buffer): void {
    const parsed = parseJsonBody(body);
    if (!parsed.ok) return sendServerError(res);
    const request = (parsed.value ?? {}) as { clear?: boolean; delete?: unknown };
    const before = this.state.pending.length;
    if (request.clear) this.state.pending = [];
    if (Array.isArray(request.delete)) {
      const ids = new Set(request.delete.map(String));
      this.state.pending = this.state.pending.filter((entry) => !ids.has(entry.promptId));
    }
    if (this.state.pending.length !== before) this.send('status', { status: { exec_info: { queue_remaining: this.state.queueRemaining() } } }, undefined);
    sendEmpty(res);
  }

  private postInterrupt(res: ServerResponse, body: Buffer): void {
    const parsed = parseJsonBody(body);
    const promptId = parsed.ok && parsed.value && typeof (parsed.value as { prompt_id?: unknown }).prompt_id === 'string'
      ? (parsed.value as { prompt_id: string }).prompt_id : undefined;
    this.executor.interrupt(promptId);
    sendEmpty(res);
  }

  private getHistory(res: ServerResponse, url: URL): void {
    const maxItems = url.searchParams.get('max_items');
    const offset = url.searchParams.get('offset');
    if ((maxItems !== null && !/^-?\d+$/.test(maxItems)) || (offset !== null && !/^-?\d+$/.test(offset))) return sendServerError(res);
    let entries = [...this.state.history.entries()];
    if (offset !== null) entries = entries.slice(Number(offset));
    if (maxItems !== null) entries = offset !== null ? entries.slice(0, Number(maxItems)) : entries.slice(-Number(maxItems));
    sendJson(res, 200, Object.fromEntries(entries));
  }

  private postHistory(res: ServerResponse, body: Buffer): void {
    const parsed = parseJsonBody(body);
    if (!parsed.ok) return sendServerError(res);
    const request = (parsed.value ?? {}) as { clear?: boolean; delete?: unknown };
    if (request.clear) this.state.history.clear();
    if (Array.isArray(request.delete)) for (const id of request.delete) this.state.history.delete(String(id));
    sendEmpty(res);
  }

  private async getView(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    let filename = url.searchParams.get('filename');
    if (filename === null) return sendEmpty(res, 404);
    let type = url.searchParams.get('type') ?? 'output';
    const annotation = /^(.*) \[(output|input|temp)\]$/.exec(filename);
    if (annotation) [, filename, type] = annotation as unknown as [string, string, string];
    if (filename === '' || filename.startsWith('/') || filename.includes('..')) return sendEmpty(res, 400);
    if (!['output', 'input', 'temp'].includes(type)) return sendEmpty(res, 400);
    const subfolder = url.searchParams.get('subfolder') ?? '';
    if (subfolder.startsWith('/') || subfolder.split(/[\\/]/).includes('..')) return sendEmpty(res, 403);
    const basename = filename.split(/[\\/]/).pop() ?? '';
    const bytes = this.state.files.get(fileKey(type, subfolder, basename));
    if (!bytes) return sendEmpty(res, 404);
    const headers = { 'content-type': mimeOf(basename), 'content-disposition': `filename="${basename}"`, 'accept-ranges': 'bytes' };
    const range = /^bytes=(\d*)-(\d*)$/.exec(String(req.headers['range'] ?? ''));
    let slice = bytes;
    if (range) {
      const start = range[1] ? Number(range[1]) : bytes.length - Number(range[2]);
      const end = range[1] && range[2] ? Number(range[2]) : bytes.length - 1;
      if (start >= bytes.length || start > end) return sendEmpty(res, 416);
      slice = bytes.subarray(start, end + 1);
      res.writeHead(206, { ...headers, 'content-length': slice.length, 'content-range': `bytes ${start}-${end}/${bytes.length}` });
    } else {
      res.writeHead(200, { ...headers, 'content-length': bytes.length });
    }
    if (this.faults.slowViewChunkMs <= 0) return void res.end(slice);
    for (let offset = 0; offset < slice.length; offset += 16_384) {
      res.write(slice.subarray(offset, offset + 16_384));
      await delay(this.faults.slowViewChunkMs);
    }
    res.end();
  }
}

function systemStats(): Record<string, unknown> {
  return {
    system: {
      os: 'posix', ram_total: 25276518400, ram_free: 24614584320, comfyui_version: '0.3.65-sim', required_frontend_version: '1.27.10',
      installed_templates_version: null, required_templates_version: '0.1.95', python_version: '3.11.2 (simulator)', pytorch_version: 'none',
      embedded_python: false, argv: ['main.py', '--simulated'],
    },
    devices: [{ name: 'sim:0 Simulated GPU', type: 'cuda', index: 0, vram_total: 25393692672, vram_free: 23000000000, torch_vram_total: 0, torch_vram_free: 0 }],
  };
}
