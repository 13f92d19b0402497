import { randomUUID } from 'node:crypto';
import { ComfyHttpError, ComfyTimeoutError, ComfyUnreachableError, PromptLostError } from './comfy/errors.js';
import type { Backend, ComfyPool } from './comfy/pool.js';
import { resolveServerDefaults } from './comfy/template-check.js';
import { fillWorkflow, type Template } from './comfy/templates.js';
import type { PromptResult } from './comfy/watcher.js';
import type { Job, JobProgress } from './jobs/job.js';
import type { JobRunner } from './jobs/scheduler.js';
import type { StoredInput } from './jobs/store.js';

/** Image bytes a member attached, kept with the job and uploaded when it is submitted (under a unique name). */
export type InputImage = StoredInput;

/** Where attached images are kept until their job ends (the ledger). */
export interface InputSource {
  input(jobId: string): StoredInput | undefined;
}

/** A submitted prompt: its outcome, and progress kept until the scheduler starts following it. */
interface Following {
  promptId: string;
  backend: Backend;
  result: Promise<PromptResult>;
  sink: ((progress: JobProgress) => void) | undefined;
  latest: JobProgress | undefined;
}

export interface RunnerOptions {
  /** After a server has been down this long, its prompts are sent to another server (if one can run them). */
  moveAfterMs?: number;
  now?: () => number;
}

/** Runs jobs on a pool of ComfyUI servers: routes, fills the template, uploads inputs, submits, follows. */
export class ComfyRunner implements JobRunner<PromptResult> {
  private readonly running = new Map<string, Following>();
  private readonly moveTimer: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(
    private readonly pool: ComfyPool,
    private readonly templates: ReadonlyMap<string, Template>,
    private readonly inputs: InputSource,
    private readonly options: RunnerOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.moveTimer = setInterval(() => this.moveFromDeadServers(), Math.min(5_000, options.moveAfterMs ?? 30_000));
    this.moveTimer.unref();
  }

  reserve(job: Job): string | 'busy' | Error {
    if (!this.pool.hasRoom()) return 'busy';
    const template = this.templates.get(job.template);
    if (!template) return new Error(`template ${job.template} is no longer installed`);
    const outcome = this.pool.reserve(job.id, template, job.params);
    return outcome instanceof Error || outcome === 'busy' ? outcome : outcome.name;
  }

  release(job: Job): void {
    this.pool.release(job.id, job.backend);
  }

  /** Canonical lowercase UUIDs: what ComfyUI accepts as a client-chosen prompt_id. */
  newPromptId(): string {
    return randomUUID();
  }

  async submit(job: Job): Promise<{ promptId: string; values: Record<string, string | number | boolean> }> {
    const backend = this.pool.get(job.backend);
    const template = this.templates.get(job.template);
    if (!template) throw new Error(`template ${job.template} is no longer installed`);
    try {
      const resolved = resolveServerDefaults(template, await backend.catalog.objectInfo()).template;
      const params: Record<string, unknown> = { ...job.params };
      const imageParam = Object.entries(template.params).find(([, spec]) => spec.type === 'image')?.[0];
      const input = imageParam ? this.inputs.input(job.id) : undefined;
      if (imageParam && input) {
        const uploaded = await backend.conn.client.uploadImage(input.bytes, `discord-${randomUUID()}.${input.extension}`, { subfolder: 'discord' });
        params[imageParam] = uploaded.subfolder ? `${uploaded.subfolder}/${uploaded.name}` : uploaded.name;
      }
      const { workflow, values } = fillWorkflow(resolved, params);
      const ownId = job.promptId ?? this.newPromptId();
      const entry = this.startWatching(backend, ownId, Object.keys(workflow));
      try {
        const queued = await backend.conn.client.queuePrompt(workflow, { promptId: ownId });
        if (queued.promptId !== ownId) {
          backend.conn.watcher.forget(ownId);
          this.running.set(job.id, this.startWatching(backend, queued.promptId, Object.keys(workflow)));
        } else {
          this.running.set(job.id, entry);
        }
        return { promptId: queued.promptId, values };
      } catch (error) {
        backend.conn.watcher.forget(ownId);
        throw error;
      }
    } catch (error) {
      if (error instanceof ComfyUnreachableError || error instanceof ComfyTimeoutError) this.pool.markDown(backend, error);
      throw error;
    }
  }

  resume(job: Job): void {
    if (!job.promptId) return;
    const backend = this.pool.get(job.backend);
    job.backend = backend.name;
    backend.jobs.add(job.id);
    this.running.set(job.id, this.startWatching(backend, job.promptId));
    void backend.conn.watcher.pollNow();
  }

  follow(job: Job, onProgress: (progress: JobProgress) => void): Promise<PromptResult> {
    const entry = this.running.get(job.id);
    if (!entry) return Promise.reject(new PromptLostError(job.promptId ?? 'unknown'));
    entry.sink = onProgress;
    if (entry.latest) onProgress(entry.latest);
    return entry.result.finally(() => this.running.delete(job.id));
  }

  /**
   * Deletes the prompt if it is still pending in ComfyUI, interrupts it (by its own id) if it runs. Which one is
   * decided by ComfyUI's /queue, so on servers that ignore the id an interrupt only goes out when it is ours running.
   */
  async cancel(job: Job): Promise<'deleted' | 'interrupted' | 'gone'> {
    const promptId = job.promptId;
    if (!promptId) return 'gone';
    const { client, watcher } = this.pool.get(job.backend).conn;
    const queue = await client.getQueue();
    let outcome: 'deleted' | 'interrupted' | 'gone' = 'gone';
    if (queue.pending.some((item) => item.promptId === promptId)) {
      await client.deleteFromQueue([promptId]);
      outcome = 'deleted';
    } else if (queue.running.some((item) => item.promptId === promptId)) {
      await client.interrupt(promptId);
      outcome = 'interrupted';
    }
    await watcher.pollNow();
    return outcome;
  }

  isUnavailable(error: unknown): boolean {
    return error instanceof ComfyUnreachableError || error instanceof ComfyTimeoutError || (error instanceof ComfyHttpError && error.status >= 500);
  }

  isServerError(error: unknown): boolean {
    return error instanceof ComfyHttpError && error.status >= 500;
  }

  isLost(error: unknown): boolean {
    return error instanceof PromptLostError;
  }

  stop(): void {
    clearInterval(this.moveTimer);
  }

  private startWatching(backend: Backend, promptId: string, nodeOrder?: string[]): Following {
    const entry: Following = { promptId, backend, sink: undefined, latest: undefined, result: Promise.resolve() as unknown as Promise<PromptResult> };
    entry.result = backend.conn.watcher.watch(promptId, {
      ...(nodeOrder ? { nodeOrder } : {}),
      onProgress: (progress) => {
        const mapped: JobProgress = progress.phase === 'pending' ? { phase: 'queued', position: progress.position } : progress;
        if (entry.sink) entry.sink(mapped);
        else entry.latest = mapped;
      },
    });
    entry.result.catch(() => undefined);
    return entry;
  }

  /** Prompts stuck on a server that has been down a while go elsewhere, if another healthy server exists. */
  private moveFromDeadServers(): void {
    const moveAfter = this.options.moveAfterMs ?? 30_000;
    if (!this.pool.backends.some((backend) => backend.up)) return;
    for (const entry of this.running.values()) {
      const { backend } = entry;
      if (backend.up || backend.downSince === undefined || this.now() - backend.downSince < moveAfter) continue;
      backend.conn.watcher.fail(entry.promptId, new PromptLostError(entry.promptId));
    }
  }
}
