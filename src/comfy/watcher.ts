import type { ComfyClient } from './client.js';
import { ExecutionFailedError, ExecutionInterruptedError, PromptLostError } from './errors.js';
import { ExecutionErrorSchema, ExecutionInterruptedSchema, type ComfyEvent } from './events.js';
import { collectOutputs, type OutputFile } from './outputs.js';
import type { HistoryEntry, NodeOutput } from './schemas.js';
import type { ComfySocket } from './socket.js';

export type PromptProgress =
  | { phase: 'pending'; position: number }
  | { phase: 'started' }
  | { phase: 'node'; node: string }
  | { phase: 'sampling'; node: string | null; value: number; max: number };

export interface PromptResult {
  promptId: string;
  outputs: OutputFile[];
  /** Every node came from cache: outputs are files of an earlier run (still a success). */
  cached: boolean;
  /** ComfyUI's own timestamps (ms) when known, for timing figures. */
  startedAt?: number;
  finishedAt?: number;
}

export interface WatchOptions {
  onProgress?: (progress: PromptProgress) => void;
  /** The files an `executed` event names, as soon as it arrives (the prompt may still be running). */
  onOutput?: (files: OutputFile[]) => void;
  /** Node ids in workflow order, so outputs come back in that order. */
  nodeOrder?: readonly string[];
  signal?: AbortSignal;
}

export interface PromptWatcherOptions {
  /** Safety-net poll while the socket is up; events make this rarely matter. */
  pollIntervalMs?: number;
  /** Poll interval while the socket is down. */
  fallbackPollIntervalMs?: number;
}

interface Tracked {
  promptId: string;
  options: WatchOptions;
  outputs: Map<string, NodeOutput>;
  cachedNodes: Set<string>;
  executedNodes: number;
  /** Events for this prompt may have been missed (socket dropped since tracking began). */
  gap: boolean;
  /**
   * When ComfyUI confirmed it has the prompt (its POST /prompt answered, or it was submitted before a restart).
   * Only a /queue snapshot asked for after that may call the prompt lost: before, it may simply not be there yet.
   */
  confirmedAt: number | undefined;
  startedAt?: number;
  settled: boolean;
  resolve: (result: PromptResult) => void;
  reject: (error: Error) => void;
}

const EARLY_EVENT_TTL_MS = 30_000;

/**
 * Follows prompts on one server to their end. The websocket gives instant completion and progress; polling
 * /queue then /history (the order that never misses a finished prompt) is the source of truth, so nothing is
 * lost when the socket drops or goes quiet. A prompt found in neither is reported lost.
 */
export class PromptWatcher {
  private readonly tracked = new Map<string, Tracked>();
  /** Events can arrive before POST /prompt returns; keep them until the prompt is tracked. */
  private readonly early = new Map<string, { at: number; events: ComfyEvent[] }>();
  private pollTimer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  /** Orders confirmations against /queue snapshots. */
  private tick = 0;
  private stopped = false;

  constructor(
    private readonly client: ComfyClient,
    private readonly socket: ComfySocket,
    private readonly options: PromptWatcherOptions = {},
  ) {
    socket.on('event', (event) => this.onEvent(event));
    socket.on('reconnected', () => {
      for (const entry of this.tracked.values()) entry.gap = true;
      void this.pollNow();
    });
  }

  /** Start watching before submitting (with our own prompt_id) so no event is missed. */
  watch(promptId: string, options: WatchOptions = {}): Promise<PromptResult> {
    return new Promise<PromptResult>((resolve, reject) => {
      const entry: Tracked = {
        promptId, options, outputs: new Map(), cachedNodes: new Set(), executedNodes: 0,
        gap: !this.socket.isOpen, confirmedAt: undefined, settled: false, resolve, reject,
      };
      this.tracked.set(promptId, entry);
      options.signal?.addEventListener('abort', () => this.settle(entry, options.signal?.reason as Error), { once: true });
      const buffered = this.early.get(promptId);
      this.early.delete(promptId);
      for (const event of buffered?.events ?? []) this.apply(entry, event);
      this.schedulePoll();
    });
  }

  /** ComfyUI has the prompt (POST /prompt answered, or it was sent before a restart): polls may now judge it. */
  confirm(promptId: string): void {
    const entry = this.tracked.get(promptId);
    if (entry && entry.confirmedAt === undefined) entry.confirmedAt = ++this.tick;
  }

  /**
   * Whether ComfyUI has the prompt at all (queued, running or finished): asked after a POST timed out.
   * Undefined when ComfyUI could not be asked — which is not a "no": resending then could run it twice.
   */
  async knows(promptId: string): Promise<boolean | undefined> {
    try {
      const queue = await this.client.getQueue();
      if ([...queue.running, ...queue.pending].some((item) => item.promptId === promptId)) return true;
      return (await this.client.getHistoryEntry(promptId)) !== undefined;
    } catch {
      return undefined;
    }
  }

  /** Ends following a prompt with an error (e.g. its server is gone and the job moves elsewhere). */
  fail(promptId: string, error: Error): void {
    const entry = this.tracked.get(promptId);
    if (entry) this.settle(entry, error);
  }

  /** Stop following a prompt without settling it (e.g. the job moved to another server). */
  forget(promptId: string): void {
    this.tracked.delete(promptId);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.pollTimer);
  }

  /** Checks every tracked prompt now: /queue once, then /history for those not in it. */
  async pollNow(): Promise<void> {
    if (this.polling) return this.polling;
    if (this.tracked.size === 0) return;
    this.polling = this.poll().finally(() => {
      this.polling = undefined;
      this.schedulePoll();
    });
    return this.polling;
  }

  /** A full check that starts after any check in flight: what a server that just came back needs first. */
  async reconcile(): Promise<void> {
    await this.polling;
    await this.pollNow();
  }

  private async poll(): Promise<void> {
    try {
      const snapshotAt = ++this.tick;
      const queue = await this.client.getQueue();
      const running = new Set(queue.running.map((item) => item.promptId));
      const pending = queue.pending.map((item) => item.promptId);
      for (const entry of [...this.tracked.values()]) {
        if (running.has(entry.promptId)) continue;
        const position = pending.indexOf(entry.promptId);
        if (position >= 0) {
          entry.options.onProgress?.({ phase: 'pending', position: position + 1 + running.size });
          continue;
        }
        const history = await this.client.getHistoryEntry(entry.promptId);
        if (history) this.finishFromHistory(entry, history);
        else if (entry.confirmedAt !== undefined && entry.confirmedAt < snapshotAt) this.settle(entry, new PromptLostError(entry.promptId));
      }
    } catch {
      // Server unreachable: keep the prompts and try again on the next tick.
    }
  }

  private schedulePoll(): void {
    if (this.stopped || this.polling || this.tracked.size === 0) return;
    clearTimeout(this.pollTimer);
    const interval = this.socket.isOpen ? (this.options.pollIntervalMs ?? 5_000) : (this.options.fallbackPollIntervalMs ?? 1_000);
    this.pollTimer = setTimeout(() => void this.pollNow(), interval);
  }

  private onEvent(event: ComfyEvent): void {
    const promptId = 'prompt_id' in event.data && typeof event.data.prompt_id === 'string' ? event.data.prompt_id : undefined;
    if (!promptId) return;
    const entry = this.tracked.get(promptId);
    if (entry) {
      this.apply(entry, event);
      return;
    }
    const now = Date.now();
    for (const [id, bucket] of this.early) if (now - bucket.at > EARLY_EVENT_TTL_MS) this.early.delete(id);
    const bucket = this.early.get(promptId) ?? { at: now, events: [] };
    bucket.events.push(event);
    this.early.set(promptId, bucket);
  }

  private apply(entry: Tracked, event: ComfyEvent): void {
    const report = entry.options.onProgress;
    switch (event.type) {
      case 'execution_start':
        if (event.data.timestamp !== undefined) entry.startedAt = event.data.timestamp;
        report?.({ phase: 'started' });
        break;
      case 'execution_cached':
        for (const node of event.data.nodes) entry.cachedNodes.add(node);
        break;
      case 'executing':
        if (event.data.node === null) void this.finishFromServer(entry);
        else {
          entry.executedNodes++;
          report?.({ phase: 'node', node: event.data.node });
        }
        break;
      case 'progress':
        report?.({ phase: 'sampling', node: event.data.node ?? null, value: event.data.value, max: event.data.max });
        break;
      case 'executed':
        if (event.data.output) {
          entry.outputs.set(event.data.node, event.data.output);
          const files = collectOutputs({ [event.data.node]: event.data.output });
          if (files.length > 0) entry.options.onOutput?.(files);
        }
        break;
      case 'execution_success':
        this.finishFromEvents(entry, event.data.timestamp);
        break;
      case 'execution_error':
        this.settle(entry, new ExecutionFailedError(entry.promptId, event.data.node_id, event.data.node_type, event.data.exception_type, event.data.exception_message));
        break;
      case 'execution_interrupted':
        this.settle(entry, new ExecutionInterruptedError(entry.promptId, event.data.node_id ?? null, event.data.node_type ?? null));
        break;
      case 'status':
        break;
    }
  }

  /** The fast path: `executed` already named the files, so there is no need to wait for the history write. */
  private finishFromEvents(entry: Tracked, finishedAt: number | undefined): void {
    if (entry.gap || entry.outputs.size === 0) return;
    const outputs = collectOutputs(Object.fromEntries(entry.outputs), entry.options.nodeOrder);
    this.settle(entry, {
      promptId: entry.promptId,
      outputs,
      cached: entry.executedNodes === 0 && entry.cachedNodes.size > 0,
      ...(entry.startedAt !== undefined ? { startedAt: entry.startedAt } : {}),
      ...(finishedAt !== undefined ? { finishedAt } : {}),
    });
  }

  private async finishFromServer(entry: Tracked): Promise<void> {
    if (entry.settled) return;
    try {
      const history = await this.client.getHistoryEntry(entry.promptId);
      if (history) this.finishFromHistory(entry, history);
    } catch {
      // The poller will try again.
    }
  }

  private finishFromHistory(entry: Tracked, history: HistoryEntry): void {
    const messages = history.status?.messages ?? [];
    const find = (type: string): Record<string, unknown> | undefined => messages.find(([name]) => name === type)?.[1];
    const rawFailure = find('execution_error');
    if (rawFailure) {
      // Lenient: a failure whose fields cannot be read is still a failure, named as well as it can be.
      const failure = ExecutionErrorSchema.partial().safeParse(rawFailure).data ?? {};
      this.settle(entry, new ExecutionFailedError(entry.promptId, failure.node_id ?? '', failure.node_type ?? '', failure.exception_type ?? '', failure.exception_message ?? ''));
      return;
    }
    const rawInterrupted = find('execution_interrupted');
    if (rawInterrupted || history.status?.status_str === 'error') {
      const interrupted = ExecutionInterruptedSchema.partial().safeParse(rawInterrupted ?? {}).data ?? {};
      this.settle(entry, new ExecutionInterruptedError(entry.promptId, interrupted.node_id ?? null, interrupted.node_type ?? null));
      return;
    }
    const prompt = history.prompt[2];
    const nodeOrder = entry.options.nodeOrder ?? (prompt && typeof prompt === 'object' ? Object.keys(prompt) : undefined);
    const cachedNodes = (find('execution_cached')?.['nodes'] as unknown[] | undefined) ?? [];
    const workflowSize = prompt && typeof prompt === 'object' ? Object.keys(prompt).length : Infinity;
    const start = find('execution_start')?.['timestamp'];
    const end = find('execution_success')?.['timestamp'];
    this.settle(entry, {
      promptId: entry.promptId,
      outputs: collectOutputs(history.outputs, nodeOrder),
      cached: cachedNodes.length >= workflowSize,
      ...(typeof start === 'number' ? { startedAt: start } : {}),
      ...(typeof end === 'number' ? { finishedAt: end } : {}),
    });
  }

  private settle(entry: Tracked, outcome: PromptResult | Error): void {
    if (entry.settled) return;
    entry.settled = true;
    this.tracked.delete(entry.promptId);
    if (outcome instanceof Error) entry.reject(outcome);
    else entry.resolve(outcome);
    if (this.tracked.size === 0) clearTimeout(this.pollTimer);
  }
}
