import { EventEmitter } from 'node:events';
import { backoffDelay } from './backoff.js';
import { connectComfy, type ComfyConnection, type ConnectOptions } from './connection.js';
import type { ComfyServer } from './server.js';
import { ServerCatalog } from './server-catalog.js';
import { checkTemplateAgainstServer, comboChoices, comboOptions } from './template-check.js';
import type { Template } from './templates.js';
import { TemplateUnfitError } from './unfit.js';
import type { Reservation } from '../jobs/scheduler.js';
import { listPreview } from './explain.js';
import type { ViewResult } from './client.js';
import type { FileRef } from './schemas.js';
import type { ComfyEvent, PreviewFrame } from './events.js';

/** One ComfyUI server of the pool, with what the bot knows of its load and health. */
export interface Backend {
  /** host[:port][/path]: how the ledger and the logs name the server. */
  readonly name: string;
  /** What members see when there are several servers: `#label=` from COMFYUI_URL, else "server N". */
  readonly label: string;
  readonly conn: ComfyConnection;
  readonly catalog: ServerCatalog;
  /** Jobs of ours inside this server (pending or running there). */
  readonly jobs: Set<string>;
  up: boolean;
  downSince: number | undefined;
  /** The server's own queue length from its last `status` event (includes other clients' prompts). */
  queueRemaining: number | undefined;
  /** The prompt the server says it is executing (from its events; ours, or another client's broadcast). */
  executing?: string | undefined;
}


export interface PoolOptions extends Omit<ConnectOptions, 'clientId'> {
  clientId: string;
  /** Prompts kept inside each server at once: enough to keep its GPU busy, no more. */
  maxInFlightPerServer: number;
  healthBaseMs?: number;
  healthMaxMs?: number;
  now?: () => number;
}

/** Which prompt a server is executing after an event: set when one starts, cleared when it ends. */
function executingAfter(current: string | undefined, event: ComfyEvent): string | undefined {
  switch (event.type) {
    case 'execution_start':
      return event.data.prompt_id;
    case 'executing':
      return event.data.node === null ? undefined : event.data.prompt_id ?? current;
    case 'execution_success':
    case 'execution_error':
    case 'execution_interrupted':
      return current === event.data.prompt_id ? undefined : current;
    default:
      return current;
  }
}

/** How often the servers' /object_info is read again in the background. */
const CATALOG_REFRESH_MS = 5 * 60_000;

function nameOf(server: ComfyServer): string {
  const url = new URL(server.baseUrl);
  return url.host + (url.pathname === '/' ? '' : url.pathname);
}

/**
 * Several ComfyUI servers as one: each job goes to the server that will start it soonest among those that have
 * every node and model it needs. A server that stops answering is marked down and health-checked with backoff
 * until it answers again.
 */
export interface ServerStatus {
  label: string;
  up: boolean;
  /** The bot's own prompts inside it. */
  jobs: number;
  /** ComfyUI's queue length (running and pending), everyone's. */
  queued?: number;
  version?: string;
  gpu?: string;
  vramTotal?: number;
  vramFree?: number;
}

export class ComfyPool extends EventEmitter<{ up: [Backend]; down: [Backend, Error]; skipped: [Backend, string[]]; catalogs: []; preview: [Backend, PreviewFrame] }> {
  private readonly backends: Backend[];
  private readonly healthTimers = new Map<Backend, NodeJS.Timeout>();
  private readonly reconciling = new Set<Backend>();
  private readonly now: () => number;

  private readonly refreshTimer: NodeJS.Timeout;

  constructor(servers: readonly ComfyServer[], private readonly options: PoolOptions) {
    super();
    this.refreshTimer = setInterval(() => void this.refreshStale(CATALOG_REFRESH_MS), CATALOG_REFRESH_MS);
    this.refreshTimer.unref();
    this.now = options.now ?? Date.now;
    this.backends = servers.map((server, index) => {
      const conn = connectComfy(server, options);
      const catalog = new ServerCatalog(conn.client, { onSkipped: (names) => this.emit('skipped', backend, names) });
      const backend: Backend = { name: nameOf(server), label: server.label ?? `server ${index + 1}`, conn, catalog, jobs: new Set(), up: true, downSince: undefined, queueRemaining: undefined };
      conn.socket.on('preview', (frame) => this.emit('preview', backend, frame));
      conn.socket.on('event', (event) => {
        if (event.type === 'status' && event.data.status) backend.queueRemaining = event.data.status.exec_info.queue_remaining;
        backend.executing = executingAfter(backend.executing, event);
      });
      // After a reconnect the socket may have missed the end of a prompt: know nothing until it says again.
      conn.socket.on('reconnected', () => { backend.executing = undefined; });
      conn.socket.on('open', () => this.markUp(backend));
      // A socket error alone (a proxy without websocket support, say) is not a dead server: ask over HTTP first.
      conn.socket.on('down', (error) => {
        if (!backend.up) return;
        conn.client.systemStats({ timeoutMs: 3_000 }).catch(() => this.markDown(backend, error));
      });
      return backend;
    });
  }

  get size(): number {
    return this.backends.length;
  }

  /** The member-facing label of the server a job is on (never its address). */
  labelOf(name: string | undefined): string {
    return this.get(name).label;
  }

  /** Opens an output file on the server that made it. */
  view(server: string | undefined, file: FileRef): Promise<ViewResult> {
    return this.get(server).conn.client.view(file);
  }

  /** The server a job is on (the first when the job predates server names); the runner is its only reader. */
  get(name: string | undefined): Backend {
    const found = this.backends.find((backend) => backend.name === name) ?? this.backends[0];
    if (!found) throw new Error('the pool has no servers (COMFYUI_URL lists none)');
    return found;
  }

  /**
   * Re-reads the catalogues of servers that answer when they are older than `maxAgeMs`, so a model or node an
   * admin installs is seen without a restart (also done every few minutes in the background).
   */
  async refreshStale(maxAgeMs: number): Promise<void> {
    const reread = await Promise.all(this.backends.filter((backend) => backend.up).map((backend) => backend.catalog.refresh(maxAgeMs).catch(() => false)));
    if (reread.some(Boolean)) this.emit('catalogs');
  }

  /** Fetches every server's /object_info (for routing); servers that do not answer are marked down. */
  async refreshCatalogs(): Promise<void> {
    await Promise.all(this.backends.map((backend) => backend.catalog.objectInfo().catch((error: Error) => this.markDown(backend, error))));
  }

  /** True if the server has every node of the template and every model the job names explicitly. */
  fits(backend: Backend, template: Template, params: Readonly<Record<string, unknown>>): boolean {
    const info = backend.catalog.peek();
    if (!info) return true;
    if (checkTemplateAgainstServer(template, info).length > 0) return false;
    return comboChoices(template, params).every((choice) => comboOptions(info[choice.classType], choice.input)?.includes(choice.value) ?? true);
  }

  /**
   * Reserves a place for a job: the least loaded healthy server that fits and has room ('reserved', by name);
   * 'busy' when those that fit are full or down; 'never', with what is missing, when no server here could run it.
   * `only` keeps the job on one server (its last send may have landed there).
   */
  reserve(jobId: string, template: Template, params: Readonly<Record<string, unknown>>, only?: string): Reservation {
    const fitting = this.backends.filter((backend) => this.fits(backend, template, params));
    const pinned = only === undefined ? undefined : fitting.find((backend) => backend.name === only);
    const candidates = pinned ? [pinned] : fitting;
    if (candidates.length === 0) return { kind: 'never', error: new TemplateUnfitError(template.name, this.describeMissing(template, params)) };
    const ready = candidates.filter((backend) => backend.up && backend.jobs.size < this.options.maxInFlightPerServer);
    if (ready.length === 0) return { kind: 'busy' };
    const load = (backend: Backend): number => Math.max(backend.jobs.size, backend.queueRemaining ?? 0);
    const chosen = ready.reduce((best, backend) => (load(backend) < load(best) ? backend : best));
    chosen.jobs.add(jobId);
    return { kind: 'reserved', server: chosen.name };
  }

  /**
   * Values a combo input takes on any server (a checkpoint installed anywhere is a valid choice). Servers marked
   * down answer from their last known catalogue, so a member's command never waits on a dead server.
   */
  async comboValues(classType: string, input: string): Promise<string[]> {
    const lists = await Promise.all(this.backends.map((backend) => {
      if (!backend.up) return comboOptions(backend.catalog.peek()?.[classType], input) ?? [];
      return backend.catalog.options(classType, input).catch(() => [] as string[]);
    }));
    return [...new Set(lists.flat())];
  }

  /**
   * Each server as /status shows it: its label (never its address), whether it answers, its GPU and VRAM and
   * ComfyUI version (from /system_stats) and its own queue length. Asked at once, each within `timeoutMs`.
   */
  async status(timeoutMs: number): Promise<ServerStatus[]> {
    return Promise.all(this.backends.map(async (backend): Promise<ServerStatus> => {
      const [stats, queued] = await Promise.all([
        backend.conn.client.systemStats({ timeoutMs }).catch(() => undefined),
        backend.conn.client.queueRemaining({ timeoutMs }).catch(() => undefined),
      ]);
      if (!stats) return { label: backend.label, up: false, jobs: backend.jobs.size };
      const device = stats.devices[0];
      return {
        label: backend.label, up: true, jobs: backend.jobs.size,
        ...(queued !== undefined ? { queued } : {}),
        ...(stats.system.comfyui_version ? { version: stats.system.comfyui_version } : {}),
        ...(device ? { gpu: device.name.replace(/^[a-z]+:\d+\s+/i, '').replace(/\s*:\s*\w+$/, '') } : {}),
        ...(device?.vram_total ? { vramTotal: device.vram_total, vramFree: device.vram_free ?? 0 } : {}),
      };
    }));
  }

  /** Sum of the servers' own queue lengths; undefined if none answers. */
  async queueRemaining(timeoutMs: number): Promise<number | undefined> {
    const counts = await Promise.all(this.backends.map((backend) => backend.conn.client.queueRemaining({ timeoutMs }).catch(() => undefined)));
    const known = counts.filter((count): count is number => count !== undefined);
    return known.length === 0 ? undefined : known.reduce((sum, count) => sum + count, 0);
  }

  hasRoom(): boolean {
    return this.backends.some((backend) => backend.up && backend.jobs.size < this.options.maxInFlightPerServer);
  }

  release(jobId: string, backendName: string | undefined): void {
    this.get(backendName).jobs.delete(jobId);
  }

  markDown(backend: Backend, error: Error): void {
    if (!backend.up) return;
    backend.up = false;
    backend.downSince = this.now();
    this.emit('down', backend, error);
    this.scheduleHealthCheck(backend, 0);
  }

  async close(): Promise<void> {
    clearInterval(this.refreshTimer);
    for (const timer of this.healthTimers.values()) clearTimeout(timer);
    await Promise.all(this.backends.map((backend) => backend.conn.close()));
  }

  private markUp(backend: Backend): void {
    clearTimeout(this.healthTimers.get(backend));
    this.healthTimers.delete(backend);
    if (backend.up || this.reconciling.has(backend)) return;
    // Settle what the server forgot (a restart) before new work goes there, so resubmissions keep their turn.
    this.reconciling.add(backend);
    void backend.conn.watcher.reconcile().finally(() => {
      this.reconciling.delete(backend);
      backend.up = true;
      backend.downSince = undefined;
      this.emit('up', backend);
    });
  }

  private scheduleHealthCheck(backend: Backend, attempt: number): void {
    const delay = backoffDelay(attempt, { baseMs: this.options.healthBaseMs ?? 500, maxMs: this.options.healthMaxMs ?? 30_000 });
    this.healthTimers.set(backend, setTimeout(() => {
      backend.conn.client.systemStats({ timeoutMs: 5_000 })
        .then(() => backend.catalog.objectInfo())
        .then(() => this.markUp(backend))
        .catch(() => this.scheduleHealthCheck(backend, attempt + 1));
    }, delay));
  }

  /** What is missing, in sentences: the template's own problems on a known server, or the models the job names. */
  describeMissing(template: Template, params: Readonly<Record<string, unknown>> = {}): string[] {
    const known = this.backends.map((backend) => backend.catalog.peek()).filter((info) => info !== undefined);
    const own = known.map((info) => checkTemplateAgainstServer(template, info).map((problem) => problem.message)).find((list) => list.length > 0);
    if (own) return own;
    const named = comboChoices(template, params).flatMap(({ name, value, classType, input }) => {
      const offered = [...new Set(known.flatMap((info) => comboOptions(info[classType], input) ?? []))];
      return offered.includes(value) ? [] : [`${name} "${value}" is not installed on any server (installed: ${listPreview(offered)})`];
    });
    return named.length > 0 ? named : [`no server has every node template ${template.name} needs`];
  }

  /**
   * Whether any server (as last seen) can run the template at all — its nodes and fixed values are there;
   * 'unknown' until some server has described itself.
   */
  fitness(template: Template): 'fits' | 'unfit' | 'unknown' {
    const known = this.backends.map((backend) => backend.catalog.peek()).filter((info) => info !== undefined);
    if (known.length === 0) return 'unknown';
    return known.some((info) => checkTemplateAgainstServer(template, info).length === 0) ? 'fits' : 'unfit';
  }

  /** The servers' names, in COMFYUI_URL order. */
  get names(): string[] {
    return this.backends.map((backend) => backend.name);
  }

  /** Whether any server has described its nodes yet (until then, no template can be judged). */
  get anyCatalogKnown(): boolean {
    return this.backends.some((backend) => backend.catalog.peek() !== undefined);
  }

  /** Resolves once every server's websocket is open (tests and tools that want events from the start). */
  async connected(signal?: AbortSignal): Promise<void> {
    await Promise.all(this.backends.map((backend) => backend.conn.socket.waitOpen(signal)));
  }

  /** True while at least one server answers. */
  /** Each server's label and whether it answers now (for /healthz). */
  health(): Array<{ label: string; up: boolean }> {
    return this.backends.map((backend) => ({ label: backend.label, up: backend.up }));
  }

  /** Servers answering now (at least 1, so estimates never divide by zero). */
  get upCount(): number {
    return Math.max(1, this.backends.filter((backend) => backend.up).length);
  }

  get anyUp(): boolean {
    return this.backends.some((backend) => backend.up);
  }
}
