import { randomUUID } from 'node:crypto';
import { ComfyHttpError, ComfyTimeoutError, ComfyUnreachableError, PromptLostError } from './comfy/errors.js';
import type { ComfyConnection } from './comfy/connection.js';
import type { ServerCatalog } from './comfy/server-catalog.js';
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
  result: Promise<PromptResult>;
  sink: ((progress: JobProgress) => void) | undefined;
  latest: JobProgress | undefined;
}

/** Runs jobs on one ComfyUI server: fills the template, uploads inputs, submits, follows. */
export class ComfyRunner implements JobRunner<PromptResult> {
  private readonly running = new Map<string, Following>();
  constructor(
    private readonly comfy: ComfyConnection,
    private readonly templates: ReadonlyMap<string, Template>,
    private readonly catalog: ServerCatalog,
    private readonly inputs: InputSource,
  ) {}

  async submit(job: Job): Promise<{ promptId: string; values: Record<string, string | number | boolean> }> {
    const template = this.templates.get(job.template);
    if (!template) throw new Error(`template ${job.template} disappeared`);
    const resolved = resolveServerDefaults(template, await this.catalog.objectInfo()).template;
    const params: Record<string, unknown> = { ...job.params };
    const imageParam = Object.entries(template.params).find(([, spec]) => spec.type === 'image')?.[0];
    const input = imageParam ? this.inputs.input(job.id) : undefined;
    if (imageParam && input) {
      const uploaded = await this.comfy.client.uploadImage(input.bytes, `discord-${randomUUID()}.${input.extension}`, { subfolder: 'discord' });
      params[imageParam] = uploaded.subfolder ? `${uploaded.subfolder}/${uploaded.name}` : uploaded.name;
    }
    const { workflow, values } = fillWorkflow(resolved, params);
    const ownId = job.promptId ?? this.newPromptId();
    const entry = this.startWatching(ownId, Object.keys(workflow));
    try {
      const queued = await this.comfy.client.queuePrompt(workflow, { promptId: ownId });
      if (queued.promptId !== ownId) {
        this.comfy.watcher.forget(ownId);
        this.running.set(job.id, this.startWatching(queued.promptId, Object.keys(workflow)));
      } else {
        this.running.set(job.id, entry);
      }
      return { promptId: queued.promptId, values };
    } catch (error) {
      this.comfy.watcher.forget(ownId);
      throw error;
    }
  }

  /** Canonical lowercase UUIDs: what ComfyUI accepts as a client-chosen prompt_id. */
  newPromptId(): string {
    return randomUUID();
  }

  resume(job: Job): void {
    if (job.promptId) this.running.set(job.id, this.startWatching(job.promptId));
    void this.comfy.watcher.pollNow();
  }

  private startWatching(promptId: string, nodeOrder?: string[]): Following {
    const entry: Following = { sink: undefined, latest: undefined, result: Promise.resolve() as unknown as Promise<PromptResult> };
    entry.result = this.comfy.watcher.watch(promptId, {
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
    const queue = await this.comfy.client.getQueue();
    let outcome: 'deleted' | 'interrupted' | 'gone' = 'gone';
    if (queue.pending.some((item) => item.promptId === promptId)) {
      await this.comfy.client.deleteFromQueue([promptId]);
      outcome = 'deleted';
    } else if (queue.running.some((item) => item.promptId === promptId)) {
      await this.comfy.client.interrupt(promptId);
      outcome = 'interrupted';
    }
    await this.comfy.watcher.pollNow();
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
}
