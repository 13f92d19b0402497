import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { interactionPayload, messagePayload, snowflake, userPayload, type Attachment, type FakeUser } from './payloads.js';

export interface RecordedFile {
  field: string;
  filename: string;
  contentType: string;
  bytes: Buffer;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  auth: string | undefined;
  json: unknown;
  files: RecordedFile[];
  /** When the whole request, body included, had arrived (performance.now()). */
  at: number;
  status: number;
}

export interface Fault {
  method?: string;
  path: RegExp;
  /** Answer with this status instead of handling the request. */
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Handle the request normally but hold the answer back this long (a slow upload). */
  delayMs?: number;
  /** Only when the uploaded files add up to more than this many bytes. */
  minBytes?: number;
  times: number;
}

export interface StoredMessage {
  id: string;
  channelId: string;
  content: string;
  embeds: unknown[];
  attachments: Attachment[];
  flags: number;
  /** Action rows of buttons. */
  components: unknown[];
  /** Bytes of each uploaded file, in attachment order. */
  files: Buffer[];
  /** The `nonce` the message was posted with, if any. */
  nonce?: string;
}

/** `guildId`: another guild than the fake one (not in the bot's cache), or null for a DM with the bot. */
export interface Where {
  guildId?: string | null;
}

export interface FakeDiscordOptions {
  heartbeatIntervalMs?: number;
  attachmentSizeLimit?: number;
  /** The fake guild's language (en-US unless given). */
  guildLocale?: string;
  /** Roles of the fake guild besides @everyone (discord.js only sees a member's roles that the guild has). */
  roles?: string[];
}

/** A channel permission overwrite, as Discord sends it (type 0 a role, 1 a member). */
export interface Overwrite {
  id: string;
  type: 0 | 1;
  allow: string;
  deny: string;
}

/** What `npm run doctor` reads of the bot's place in the fake guild; tests break it on purpose. */
export interface BotMembership {
  /** False: the bot was never invited (GET /guilds/:id answers 403 Missing Access). */
  inGuild: boolean;
  /** The @everyone role's permissions (a decimal bit set); Discord's default for a new server unless changed. */
  everyonePermissions: string;
  /** Roles the bot has, with their permissions. */
  roles: Array<{ id: string; permissions: string }>;
  /** Overwrites on the fake channel. */
  overwrites: Overwrite[];
  /** More channels of the guild (a category, say), as GET /guilds/:id/channels lists them. */
  channels: Array<{ id: string; type: number; name: string; parent_id?: string }>;
}

/**
 * A fake Discord REST v10 + gateway on 127.0.0.1 that the real, unmodified discord.js client connects to.
 * Records every request (with uploaded bytes), serves attachments, and fails on demand.
 */
export class FakeDiscord extends EventEmitter<{ request: [RecordedRequest]; identify: [] }> {
  readonly appId = snowflake();
  readonly guildId = snowflake();
  readonly channelId = snowflake();
  readonly botUser = { id: this.appId, username: 'fakebot' };
  readonly requests: RecordedRequest[] = [];
  /** The @original response of each interaction token. */
  readonly originals = new Map<string, StoredMessage>();
  readonly channelMessages: StoredMessage[] = [];
  readonly followUps: StoredMessage[] = [];
  readonly commands = new Map<string, unknown[]>();
  readonly faults: Fault[] = [];
  readonly expiredTokens = new Set<string>();
  /** Interaction tokens whose reply a moderator deleted: editing it answers 404 Unknown Message. */
  readonly deletedOriginals = new Set<string>();
  readonly forbiddenChannels = new Set<string>();
  /** Messages the bot deleted (DELETE /channels/:id/messages/:id), by id. */
  readonly deletedMessages = new Set<string>();
  /** Modals the bot opened (interaction callback type 9), by the interaction token they answered. */
  readonly modals = new Map<string, { custom_id: string; title: string; components: Array<{ components: Array<{ custom_id: string; value?: string; label?: string }> }> }>();
  readonly validToken: string;
  readonly membership: BotMembership = { inGuild: true, everyonePermissions: '2248473465835073', roles: [], overwrites: [], channels: [] };
  private readonly served = new Map<string, { bytes: Buffer; contentType: string }>();
  /** A channel per other guild, and per member's DM (`dm:<user id>`), that interactions came from. */
  private readonly placeChannels = new Map<string, string>();
  /** The DM channel of each member the bot opened one with (Discord answers the same channel every time). */
  private readonly dmChannels = new Map<string, string>();
  /** Messages posted with a nonce, by channel and nonce (the fake's only author is the bot), for `enforce_nonce`. */
  private readonly nonces = new Map<string, StoredMessage>();
  private server: Server | undefined;
  private wss: WebSocketServer | undefined;
  private readonly sockets = new Set<WebSocket>();
  private sequence = 0;
  private port = 0;

  constructor(private readonly options: FakeDiscordOptions = {}) {
    super();
    this.validToken = `${Buffer.from(this.appId).toString('base64url')}.${randomBytes(4).toString('base64url')}.${randomBytes(28).toString('base64url')}`;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get apiUrl(): string {
    return `${this.url}/api`;
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => void this.handle(req, res).catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: String(error), code: 0 }));
    }));
    const wss = new WebSocketServer({ server, path: '/gateway' });
    wss.on('connection', (ws) => this.onGateway(ws));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    this.wss = wss;
    return this;
  }

  async stop(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.wss?.close();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Serves bytes as a Discord CDN attachment and returns the attachment object for an interaction. */
  addAttachment(filename: string, bytes: Buffer, contentType: string, dimensions: { width?: number; height?: number } = {}): Attachment {
    const id = snowflake();
    const path = `/attachments/${this.channelId}/${id}/${encodeURIComponent(filename)}`;
    this.served.set(path, { bytes, contentType });
    return { id, filename, size: bytes.length, url: `${this.url}${path}`, proxy_url: `${this.url}${path}`, content_type: contentType, ...dimensions };
  }

  /** Where an interaction comes from: the fake guild unless `guildId` names another (null: the member's DM with the bot). */
  private place(where: Where, user: FakeUser): { guildId: string | null; channelId: string } {
    const guildId = where.guildId === undefined ? this.guildId : where.guildId;
    if (guildId === this.guildId) return { guildId, channelId: this.channelId };
    const key = guildId ?? `dm:${user.id}`;
    const channelId = this.placeChannels.get(key) ?? snowflake();
    this.placeChannels.set(key, channelId);
    return { guildId, channelId };
  }

  /** Dispatches a slash command; returns the interaction's id and token. */
  chatInput(name: string, options: Array<{ name: string; type: number; value: unknown; focused?: boolean; options?: unknown[] }>, user: FakeUser, extra: Where & { attachments?: Attachment[]; autocomplete?: boolean; attachmentSizeLimit?: number } = {}) {
    const resolved = extra.attachments?.length ? { resolved: { attachments: Object.fromEntries(extra.attachments.map((attachment) => [attachment.id, attachment])) } } : {};
    const payload = interactionPayload(extra.autocomplete ? 4 : 2, {
      appId: this.appId, ...this.place(extra, user), user,
      attachmentSizeLimit: extra.attachmentSizeLimit ?? this.options.attachmentSizeLimit ?? 10 * 1024 * 1024,
      ...(this.options.guildLocale ? { guildLocale: this.options.guildLocale } : {}),
    }, { name, options, ...resolved });
    this.dispatch('INTERACTION_CREATE', payload);
    return { id: payload.id, token: payload.token, dispatchedAt: performance.now() };
  }

  /** Dispatches a click on a button of the interaction `token`'s reply; returns the click's own id and token. */
  button(customId: string, user: FakeUser, token: string, where: Where = {}) {
    const original = this.originals.get(token);
    const payload = interactionPayload(3, {
      appId: this.appId, ...this.place(where, user), user, attachmentSizeLimit: this.options.attachmentSizeLimit ?? 10 * 1024 * 1024,
    }, { custom_id: customId, component_type: 2 });
    const message = this.wire(original ?? { id: snowflake(), channelId: this.channelId, content: '', embeds: [], attachments: [], flags: 0, files: [], components: [] });
    const { data, ...rest } = payload;
    const { id: _id, type: _type, ...buttonData } = data;
    this.dispatch('INTERACTION_CREATE', { ...rest, message, data: buttonData });
    return { id: payload.id, token: payload.token };
  }

  /** Dispatches a click on a button of any message the bot sent (a channel post, a reply); returns its id and token. */
  press(message: StoredMessage, customId: string, user: FakeUser, where: Where = {}) {
    const payload = interactionPayload(3, {
      appId: this.appId, ...this.place(where, user), user, attachmentSizeLimit: this.options.attachmentSizeLimit ?? 10 * 1024 * 1024,
    }, { custom_id: customId, component_type: 2 });
    const { data, ...rest } = payload;
    const { id: _id, type: _type, ...buttonData } = data;
    this.dispatch('INTERACTION_CREATE', { ...rest, message: this.wire(message), data: buttonData });
    return { id: payload.id, token: payload.token };
  }

  /** Dispatches a modal's submission with the text of each field; returns its id and token. */
  submitModal(customId: string, fields: Record<string, string>, user: FakeUser, where: Where = {}) {
    const payload = interactionPayload(5, {
      appId: this.appId, ...this.place(where, user), user, attachmentSizeLimit: this.options.attachmentSizeLimit ?? 10 * 1024 * 1024,
    }, { custom_id: customId, components: Object.entries(fields).map(([id, value]) => ({ type: 1, components: [{ type: 4, custom_id: id, value }] })) });
    const { data, ...rest } = payload;
    const { id: _id, type: _type, ...modalData } = data;
    this.dispatch('INTERACTION_CREATE', { ...rest, data: modalData });
    return { id: payload.id, token: payload.token };
  }

  /** The message with this id wherever it is (a channel post or an interaction's reply). */
  message(id: string): StoredMessage | undefined {
    return [...this.channelMessages, ...this.originals.values()].find((message) => message.id === id);
  }

  dispatch(type: string, data: unknown): void {
    const frame = JSON.stringify({ op: 0, t: type, s: ++this.sequence, d: data });
    for (const ws of this.sockets) ws.send(frame);
  }

  fail(fault: Omit<Fault, 'times'> & { times?: number }): void {
    this.faults.push({ times: 1, ...fault });
  }

  /** Resolves with the first recorded request (past or future) that matches. */
  waitForRequest(match: (request: RecordedRequest) => boolean, timeoutMs = 10_000, what = 'a matching request'): Promise<RecordedRequest> {
    const found = this.requests.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('request', listener);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; saw: ${this.requests.map((r) => `${r.method} ${r.path}`).join(', ')}`));
      }, timeoutMs);
      const listener = (request: RecordedRequest): void => {
        if (!match(request)) return;
        clearTimeout(timer);
        this.off('request', listener);
        resolve(request);
      };
      this.on('request', listener);
    });
  }

  private onGateway(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
    ws.send(JSON.stringify({ op: 10, d: { heartbeat_interval: this.options.heartbeatIntervalMs ?? 41_250 } }));
    ws.on('message', (raw) => {
      const packet = JSON.parse(String(raw)) as { op: number; d: unknown };
      if (packet.op === 1) ws.send(JSON.stringify({ op: 11, d: null }));
      if (packet.op === 2) {
        const ready = {
          v: 10, user: { ...userPayload(this.botUser), bot: true, flags: 0 }, guilds: [{ id: this.guildId, unavailable: true }],
          session_id: `fake-session-${snowflake()}`, resume_gateway_url: `ws://127.0.0.1:${this.port}/gateway`, shard: [0, 1], application: { id: this.appId, flags: 0 },
        };
        ws.send(JSON.stringify({ op: 0, t: 'READY', s: ++this.sequence, d: ready }));
        ws.send(JSON.stringify({ op: 0, t: 'GUILD_CREATE', s: ++this.sequence, d: this.guildPayload() }));
        this.emit('identify');
      }
      if (packet.op === 6) ws.send(JSON.stringify({ op: 0, t: 'RESUMED', s: ++this.sequence, d: {} }));
    });
  }

  private guildPayload() {
    return {
      id: this.guildId, name: 'Fake Guild', unavailable: false, owner_id: snowflake(), member_count: 3, large: false, features: [],
      channels: [{ id: this.channelId, type: 0, name: 'general', position: 0, guild_id: this.guildId, permission_overwrites: [] }],
      roles: [
        ...[this.guildId, ...(this.options.roles ?? [])].map((id, position) => ({
          id, name: position === 0 ? '@everyone' : `role-${position}`, permissions: position === 0 ? this.membership.everyonePermissions : '0', position, color: 0, hoist: false, managed: false, mentionable: false, flags: 0,
        })),
        ...this.membership.roles.map((role, index) => ({ id: role.id, name: `bot-role-${index}`, permissions: role.permissions, position: 100 + index, color: 0, hoist: false, managed: true, mentionable: false, flags: 0 })),
      ],
      emojis: [], stickers: [], members: [], threads: [], voice_states: [], presences: [], stage_instances: [], guild_scheduled_events: [],
      joined_at: '2025-01-01T00:00:00.000Z', premium_tier: 0, preferred_locale: 'en-US', system_channel_flags: 0, afk_timeout: 300, verification_level: 0,
      default_message_notifications: 0, explicit_content_filter: 0, mfa_level: 0, nsfw_level: 0, premium_progress_bar_enabled: false,
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = decodeURIComponent(url.pathname);
    if (req.method === 'GET' && this.served.has(url.pathname)) {
      const file = this.served.get(url.pathname) as { bytes: Buffer; contentType: string };
      this.record(req, path, url, undefined, [], 200);
      res.writeHead(200, { 'content-type': file.contentType, 'content-length': file.bytes.length });
      res.end(file.bytes);
      return;
    }
    const body = await readBody(req);
    const receivedAt = performance.now();
    const { json, files } = await parseBody(req, body);
    const size = files.reduce((total, file) => total + file.bytes.length, 0);
    const fault = this.faults.find((candidate) => candidate.times > 0 && candidate.path.test(path) && (!candidate.method || candidate.method === req.method) && size > (candidate.minBytes ?? -1));
    if (fault) fault.times--;
    const respond = (status: number, payload?: unknown, headers: Record<string, string> = {}): void => {
      this.record(req, path, url, json, files, status, receivedAt);
      if (fault?.delayMs) {
        setTimeout(() => write(status, payload, headers), fault.delayMs);
        return;
      }
      write(status, payload, headers);
    };
    const write = (status: number, payload: unknown, headers: Record<string, string>): void => {
      if (res.destroyed) return;
      if (payload === undefined) {
        res.writeHead(status, headers);
        res.end();
        return;
      }
      const text = JSON.stringify(payload);
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(text);
    };
    if (fault?.status) return respond(fault.status, fault.body ?? { message: 'fake failure', code: 0 }, fault.headers);
    this.route(req.method ?? 'GET', path.replace(/^\/api\/v10/, ''), url, json, files, req.headers['authorization'], respond);
  }

  private route(method: string, path: string, url: URL, json: unknown, files: RecordedFile[], auth: string | undefined, respond: (status: number, payload?: unknown) => void): void {
    let match: RegExpExecArray | null;
    if (method === 'GET' && path === '/gateway/bot') {
      if (auth !== `Bot ${this.validToken}`) return respond(401, { message: '401: Unauthorized', code: 0 });
      return respond(200, { url: `ws://127.0.0.1:${this.port}/gateway`, shards: 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 } });
    }
    if (method === 'GET' && path === '/users/@me') {
      if (auth !== `Bot ${this.validToken}`) return respond(401, { message: '401: Unauthorized', code: 0 });
      return respond(200, { ...userPayload(this.botUser), bot: true });
    }
    if (method === 'GET' && /^\/(?:oauth2\/)?applications\/@me$/.test(path)) {
      if (auth !== `Bot ${this.validToken}`) return respond(401, { message: '401: Unauthorized', code: 0 });
      return respond(200, { id: this.appId, name: 'fakebot', bot_public: true, bot_require_code_grant: false, flags: 0 });
    }
    if (method === 'GET' && path === '/users/@me/guilds') {
      return respond(200, this.membership.inGuild ? [{ id: this.guildId, name: 'Fake Guild', icon: null, owner: false, permissions: '0', features: [] }] : []);
    }
    if ((match = /^\/guilds\/(\d+)(\/.*)?$/.exec(path)) && method === 'GET') {
      if (auth !== `Bot ${this.validToken}`) return respond(401, { message: '401: Unauthorized', code: 0 });
      if (match[1] !== this.guildId || !this.membership.inGuild) return respond(403, { message: 'Missing Access', code: 50001 });
      const rest = match[2] ?? '';
      if (rest === '') return respond(200, this.guildPayload());
      if (rest === '/channels') {
        return respond(200, [
          ...this.guildPayload().channels.map((channel) => ({ ...channel, permission_overwrites: this.membership.overwrites })),
          ...this.membership.channels.map((channel) => ({ ...channel, guild_id: this.guildId, position: 1, permission_overwrites: [] })),
        ]);
      }
      if (rest === `/members/${this.botUser.id}`) {
        return respond(200, { user: userPayload(this.botUser), roles: this.membership.roles.map((role) => role.id), joined_at: '2025-01-01T00:00:00.000Z', deaf: false, mute: false, flags: 0 });
      }
      return respond(404, { message: 'Unknown Member', code: 10007 });
    }
    if ((match = /^\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/.exec(path))) {
      const scope = match[2] ?? 'global';
      if (method === 'PUT') {
        const stored = (json as Array<Record<string, unknown>>).map((command) => ({ ...command, id: snowflake(), application_id: this.appId, version: snowflake() }));
        this.commands.set(scope, stored);
        return respond(200, stored);
      }
      // As Discord does: localized names and descriptions only when asked for with ?with_localizations=true.
      const stored = this.commands.get(scope) ?? [];
      return respond(200, url.searchParams.get('with_localizations') === 'true' ? stored : withoutLocalizations(stored));
    }
    if (method === 'POST' && (match = /^\/interactions\/(\d+)\/([^/]+)\/callback$/.exec(path))) {
      const token = match[2] as string;
      if (this.expiredTokens.has(token)) return respond(404, { message: 'Unknown interaction', code: 10062 });
      const callback = json as { type: number; data?: Record<string, unknown> };
      if (callback.type === 4 || callback.type === 5) this.originals.set(token, this.store(this.channelId, callback.data ?? {}, files));
      if (callback.type === 9) this.modals.set(token, callback.data as never);
      return respond(204);
    }
    if ((match = /^\/webhooks\/(\d+)\/([^/]+)(?:\/messages\/(@original|\d+))?$/.exec(path))) {
      const token = match[2] as string;
      if (this.expiredTokens.has(token)) return respond(401, { message: 'Invalid Webhook Token', code: 50027 });
      if (match[3] === '@original' && this.deletedOriginals.has(token)) return respond(404, { message: 'Unknown Message', code: 10008 });
      if (method === 'PATCH' && match[3] === '@original') {
        const message = this.edited(this.channelId, this.originals.get(token), json as Record<string, unknown>, files);
        this.originals.set(token, message);
        return respond(200, this.wire(message));
      }
      if (method === 'POST' && !match[3]) {
        const message = this.store(this.channelId, json as Record<string, unknown>, files);
        this.followUps.push(message);
        return respond(200, this.wire(message));
      }
      if (method === 'GET' && match[3] === '@original') {
        const original = this.originals.get(token);
        return original ? respond(200, this.wire(original)) : respond(404, { message: 'Unknown Message', code: 10008 });
      }
      if (method === 'DELETE') return respond(204);
    }
    if ((match = /^\/channels\/(\d+)\/messages$/.exec(path)) && method === 'POST') {
      if (auth !== `Bot ${this.validToken}`) return respond(401, { message: '401: Unauthorized', code: 0 });
      if (this.forbiddenChannels.has(match[1] as string)) return respond(403, { message: 'Missing Permissions', code: 50013 });
      const data = json as Record<string, unknown>;
      const nonce = typeof data['nonce'] === 'string' ? data['nonce'] : undefined;
      if (nonce !== undefined && nonce.length > 25) return respond(400, { message: 'Invalid Form Body', code: 50035 });
      const key = `${match[1]}:${nonce}`;
      const earlier = nonce !== undefined && data['enforce_nonce'] === true ? this.nonces.get(key) : undefined;
      if (earlier) return respond(200, this.wire(earlier));
      const message = { ...this.store(match[1] as string, data, files), ...(nonce !== undefined ? { nonce } : {}) };
      this.channelMessages.push(message);
      if (nonce !== undefined) this.nonces.set(key, message);
      return respond(200, this.wire(message));
    }
    if ((match = /^\/channels\/(\d+)\/messages\/(\d+)$/.exec(path)) && method === 'GET') {
      if (auth !== `Bot ${this.validToken}`) return respond(401, { message: '401: Unauthorized', code: 0 });
      const [, channelId, id] = match;
      const found = [...this.channelMessages, ...this.originals.values()].find((message) => message.id === id && message.channelId === channelId);
      return found ? respond(200, this.wire(found)) : respond(404, { message: 'Unknown Message', code: 10008 });
    }
    if ((match = /^\/channels\/(\d+)\/messages\/(\d+)$/.exec(path)) && method === 'DELETE') {
      if (auth !== `Bot ${this.validToken}`) return respond(401, { message: '401: Unauthorized', code: 0 });
      const [, channelId, id] = match;
      const found = this.message(id as string);
      if (!found || found.channelId !== channelId || this.deletedMessages.has(id as string)) return respond(404, { message: 'Unknown Message', code: 10008 });
      this.deletedMessages.add(id as string);
      return respond(204);
    }
    if ((match = /^\/channels\/(\d+)\/messages\/(\d+)$/.exec(path)) && method === 'PATCH') {
      if (auth !== `Bot ${this.validToken}`) return respond(401, { message: '401: Unauthorized', code: 0 });
      const index = this.channelMessages.findIndex((message) => message.id === match?.[2] && message.channelId === match[1]);
      if (index < 0) return respond(404, { message: 'Unknown Message', code: 10008 });
      const message = this.edited(match[1] as string, this.channelMessages[index], json as Record<string, unknown>, files);
      this.channelMessages[index] = message;
      return respond(200, this.wire(message));
    }
    if ((match = /^\/channels\/(\d+)\/messages$/.exec(path)) && method === 'GET') {
      if (auth !== `Bot ${this.validToken}`) return respond(401, { message: '401: Unauthorized', code: 0 });
      const limit = Math.min(100, Math.max(1, Number(url.searchParams.get('limit') ?? 50)));
      const channelId = match[1];
      const newestFirst = this.channelMessages.filter((message) => message.channelId === channelId).reverse();
      return respond(200, newestFirst.slice(0, limit).map((message) => this.wire(message)));
    }
    if ((match = /^\/channels\/(\d+)$/.exec(path)) && method === 'GET') {
      return respond(200, { id: match[1], type: 0, name: 'general', guild_id: this.guildId, position: 0, permission_overwrites: [] });
    }
    if ((match = /^\/users\/@me\/channels$/.exec(path)) && method === 'POST') {
      const recipient = (json as { recipient_id: string }).recipient_id;
      const id = this.dmChannels.get(recipient) ?? snowflake();
      this.dmChannels.set(recipient, id);
      return respond(200, { id, type: 1, recipients: [{ id: recipient, username: 'member', discriminator: '0' }] });
    }
    void url;
    return respond(404, { message: `404: Not Found (${method} ${path})`, code: 0 });
  }

  /**
   * An edit, as Discord does it: fields not sent are kept; without an `attachments` field the files stay; with
   * one, the existing attachments it lists by id stay and the new files are added.
   */
  private edited(channelId: string, previous: StoredMessage | undefined, edit: Record<string, unknown>, files: RecordedFile[]): StoredMessage {
    const message = this.store(channelId, { ...(previous ? { content: previous.content, embeds: previous.embeds, flags: previous.flags, components: previous.components } : {}), ...edit }, files, previous?.id);
    if (previous && !('attachments' in edit) && files.length === 0) return { ...message, attachments: previous.attachments, files: previous.files };
    if (!previous || !Array.isArray(edit['attachments'])) return message;
    const listed = new Set((edit['attachments'] as Array<{ id?: unknown }>).map((attachment) => String(attachment.id)));
    const kept = previous.attachments.map((attachment, index) => ({ attachment, bytes: previous.files[index] as Buffer })).filter(({ attachment }) => listed.has(attachment.id));
    return { ...message, attachments: [...kept.map(({ attachment }) => attachment), ...message.attachments], files: [...kept.map(({ bytes }) => bytes), ...message.files] };
  }

  private store(channelId: string, data: Record<string, unknown>, files: RecordedFile[], id = snowflake()): StoredMessage {
    const attachments: Attachment[] = files.map((file) => {
      const attachmentId = snowflake();
      const path = `/attachments/${channelId}/${attachmentId}/${encodeURIComponent(file.filename)}`;
      this.served.set(path, { bytes: file.bytes, contentType: file.contentType });
      return { id: attachmentId, filename: file.filename, size: file.bytes.length, url: `${this.url}${path}`, proxy_url: `${this.url}${path}`, content_type: file.contentType };
    });
    return {
      id, channelId, content: typeof data['content'] === 'string' ? data['content'] : '', embeds: Array.isArray(data['embeds']) ? data['embeds'] : [],
      attachments: files.length > 0 ? attachments : [], flags: typeof data['flags'] === 'number' ? data['flags'] : 0, files: files.map((file) => file.bytes),
      components: Array.isArray(data['components']) ? data['components'] : [],
    };
  }

  private wire(message: StoredMessage) {
    const nonce = message.nonce !== undefined ? { nonce: message.nonce } : {};
    return { ...messagePayload({ id: message.id, channelId: message.channelId, author: userPayload(this.botUser), content: message.content, embeds: message.embeds, attachments: message.attachments, flags: message.flags }), components: message.components, ...nonce };
  }

  private record(req: IncomingMessage, path: string, url: URL, json: unknown, files: RecordedFile[], status: number, at = performance.now()): void {
    const request: RecordedRequest = { method: req.method ?? 'GET', path, query: url.searchParams, auth: req.headers['authorization'], json, files, at, status };
    this.requests.push(request);
    this.emit('request', request);
  }
}

/** A command list as GET answers it without ?with_localizations=true: no `*_localizations` fields at any depth. */
function withoutLocalizations(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutLocalizations);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => !key.endsWith('_localizations')).map(([key, inner]) => [key, withoutLocalizations(inner)]));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function parseBody(req: IncomingMessage, body: Buffer): Promise<{ json: unknown; files: RecordedFile[] }> {
  const type = String(req.headers['content-type'] ?? '');
  if (body.length === 0) return { json: undefined, files: [] };
  if (!type.startsWith('multipart/form-data')) return { json: type.includes('json') ? JSON.parse(body.toString('utf8')) : undefined, files: [] };
  const form = await new Response(body, { headers: { 'content-type': type } }).formData();
  let json: unknown;
  const files: RecordedFile[] = [];
  for (const [field, value] of form) {
    if (typeof value === 'string') {
      if (field === 'payload_json') json = JSON.parse(value);
    } else {
      files.push({ field, filename: value.name, contentType: value.type, bytes: Buffer.from(await value.arrayBuffer()) });
    }
  }
  return { json, files };
}
