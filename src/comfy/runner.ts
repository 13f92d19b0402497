import { randomUUID } from 'node:crypto';
import type { ViewResult } from './client.js';
import { ComfyHttpError, ComfyTimeoutError, ComfyUnreachableError, PromptLostError } from './errors.js';
import type { OutputFile } from './outputs.js';
import type { Backend, ComfyPool } from './pool.js';
import { submitTemplate, type TemplateImage } from './submit.js';
import type { Template } from './templates.js';
import { TemplateUnfitError } from './unfit.js';
import type { PromptProgress, PromptResult } from './watcher.js';
import type { PreviewFrame } from './events.js';
import type { Job, JobProgress } from '../jobs/job.js';
import type { JobRunner, Reservation, Submission } from '../jobs/scheduler.js';

/** ComfyUI could not be asked whether an earlier, timed-out send of this prompt landed: not a "no", keep its id. */
class SendUncertainError extends ComfyUnreachableError {
  override name = 'SendUncertainError';
}

/** Image bytes a member attached, kept with the job and uploaded when it is submitted. */
export type InputImage = TemplateImage;

/** Where attached images are kept until their job ends (the ledger). */
export interface InputSource {
  input(jobId: string): InputImage | undefined;
}

/** A submitted prompt: its outcome, progress kept until the scheduler follows it, and outputs fetched early. */
interface Following {
  promptId: string;
  backend: Backend;
  result: Promise<PromptResult>;
  sink: ((progress: JobProgress) => void) | undefined;
  latest: JobProgress | undefined;
  prefetched: Map<string, Promise<ViewResult>>;
  /** ComfyUI has started it (not just queued it): frames without a prompt id may be its. */
  started: boolean;
}

export interface RunnerOptions {
  /** After a server has been down this long, its prompts are sent to another server (if one can run them). */
  moveAfterMs?: number;
  now?: () => number;
  /** Asked of ComfyUI per prompt (`extra_data.preview_method`, v0.5+; older servers need `--preview-method`). */
  previewMethod?: 'auto' | 'latent2rgb' | 'taesd' | 'none';
  /** A preview picture of a running job. */
  onPreview?: (jobId: string, image: Buffer, format: 'jpeg' | 'png') => void;
}

function fileKey(file: OutputFile): string {
  return `${file.type}/${file.subfolder}/${file.filename}`;
}

function toJobProgress(progress: PromptProgress): JobProgress {
  return progress.phase === 'pending' ? { phase: 'queued', position: progress.position } : progress;
}

/** Runs jobs on a pool of ComfyUI servers: routes, submits the template, follows the prompt, fetches outputs. */
export class ComfyRunner implements JobRunner<PromptResult> {
  private readonly running = new Map<string, Following>();
  /** Outputs of finished prompts not yet handed to delivery (fetched as soon as `executed` named them). */
  private readonly finished = new Map<string, Following>();
  /** Jobs whose last send timed out (ComfyUI may have it), with the values to show if it did. */
  private readonly uncertain = new Map<string, Record<string, string | number | boolean>>();
  private readonly moveTimer: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(
    private readonly pool: ComfyPool,
    /** Templates by name: the current ones, and any a reload removed while jobs still used them. */
    private readonly templates: Pick<ReadonlyMap<string, Template>, 'get'>,
    private readonly inputs: InputSource,
    private readonly options: RunnerOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.moveTimer = setInterval(() => this.moveFromDeadServers(), Math.min(5_000, options.moveAfterMs ?? 30_000));
    this.moveTimer.unref();
    if (options.onPreview) pool.on('preview', (backend, frame) => this.attribute(backend, frame));
  }

  /**
   * Whose preview a frame is: the job with its prompt id (type-4 frames), or, for frames without one, the only job
   * of ours running on that server. Anything else is dropped: a member must never see another member's picture.
   */
  private attribute(backend: Backend, frame: PreviewFrame): void {
    const ours = [...this.running.entries()].filter(([, entry]) => entry.backend === backend);
    // A frame without an id belongs to whatever the server executes now: ours only if the server says so.
    const prompt = frame.promptId ?? backend.executing;
    const owner = prompt === undefined ? undefined : ours.find(([, entry]) => entry.promptId === prompt && (frame.promptId !== undefined || entry.started));
    if (owner) this.options.onPreview?.(owner[0], frame.image, frame.format);
  }

  reserve(job: Job): Reservation {
    if (!this.pool.hasRoom()) return { kind: 'busy' };
    const template = this.templates.get(job.template);
    if (!template) return { kind: 'never', error: new TemplateUnfitError(job.template, [`template ${job.template} is no longer installed`]) };
    // A job whose last send may have landed stays on that server: only there can its prompt be found (or not).
    const pinned = this.uncertain.has(job.id) ? job.backend : undefined;
    return this.pool.reserve(job.id, template, job.params, pinned);
  }

  release(job: Job): void {
    this.pool.release(job.id, job.backend);
  }

  /** Canonical lowercase UUIDs: what ComfyUI accepts as a client-chosen prompt_id. */
  newPromptId(): string {
    return randomUUID();
  }

  async submit(job: Job): Promise<Submission> {
    const backend = this.pool.get(job.backend);
    const template = this.templates.get(job.template);
    if (!template) throw new TemplateUnfitError(job.template, [`template ${job.template} is no longer installed`]);
    const entry = this.follower(backend, job.promptId ?? this.newPromptId());
    // An earlier send of this very prompt timed out: ComfyUI may have queued it after all. Follow it, never send twice.
    const earlier = this.uncertain.get(job.id);
    this.uncertain.delete(job.id);
    if (earlier) {
      const known = await backend.conn.watcher.knows(entry.promptId);
      if (known === undefined) {
        this.uncertain.set(job.id, earlier);
        throw new SendUncertainError(backend.conn.client.displayUrl);
      }
      if (known) {
        this.resume(job);
        return { promptId: entry.promptId, values: earlier, dropped: [] };
      }
    }
    try {
      const image = this.inputs.input(job.id);
      const submitted = await submitTemplate(backend.conn, await backend.catalog.objectInfo(), template, job.params, {
        promptId: entry.promptId,
        ...(image ? { image } : {}),
        ...(this.options.previewMethod ? { extraData: { preview_method: this.options.previewMethod } } : {}),
        onProgress: (progress) => this.report(entry, toJobProgress(progress)),
        onOutput: (files) => this.prefetch(entry, files),
        // An answer can be late by as much again as the timeout before a resend is even considered.
        lateAnswerMs: Math.max(5_000, backend.conn.client.timeoutMs),
      });
      entry.promptId = submitted.promptId;
      entry.result = submitted.result;
      this.running.set(job.id, entry);
      return { promptId: submitted.promptId, values: submitted.values, dropped: submitted.dropped };
    } catch (error) {
      this.discard(entry);
      if (this.mayHaveArrived(error)) this.uncertain.set(job.id, { ...job.params });
      if (error instanceof ComfyUnreachableError || error instanceof ComfyTimeoutError) this.pool.markDown(backend, error);
      throw error;
    }
  }

  resume(job: Job): void {
    if (!job.promptId) return;
    const backend = this.pool.get(job.backend);
    job.backend = backend.name;
    backend.jobs.add(job.id);
    const entry = this.follower(backend, job.promptId);
    entry.result = backend.conn.watcher.watch(job.promptId, {
      onProgress: (progress) => this.report(entry, toJobProgress(progress)),
      onOutput: (files) => this.prefetch(entry, files),
    });
    entry.result.catch(() => undefined);
    backend.conn.watcher.confirm(job.promptId);
    this.running.set(job.id, entry);
    void backend.conn.watcher.pollNow();
  }

  follow(job: Job, onProgress: (progress: JobProgress) => void): Promise<PromptResult> {
    const entry = this.running.get(job.id);
    if (!entry) return Promise.reject(new PromptLostError(job.promptId ?? 'unknown'));
    entry.sink = onProgress;
    if (entry.latest) onProgress(entry.latest);
    return entry.result.then(
      (result) => {
        this.running.delete(job.id);
        this.finished.set(job.id, entry);
        return result;
      },
      (error: unknown) => {
        this.running.delete(job.id);
        this.discard(entry);
        throw error;
      },
    );
  }

  /** Opens an output of a finished job: the download started when `executed` named it, or a new one. */
  async open(job: Job, file: OutputFile): Promise<ViewResult> {
    const entry = this.finished.get(job.id);
    const early = entry?.prefetched.get(fileKey(file));
    entry?.prefetched.delete(fileKey(file));
    if (early) {
      const view = await early.catch(() => undefined);
      if (view) return view;
    }
    return this.pool.view(job.backend, file);
  }

  /** Delivery is over: downloads started early and never used are closed. */
  done(job: Job): void {
    const entry = this.finished.get(job.id);
    this.finished.delete(job.id);
    if (entry) this.discard(entry);
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
      // It may have started between the two requests, and a delete does not stop a running prompt.
      if ((await client.getQueue()).running.some((item) => item.promptId === promptId)) {
        await client.interrupt(promptId);
        outcome = 'interrupted';
      }
    } else if (queue.running.some((item) => item.promptId === promptId)) {
      await client.interrupt(promptId);
      outcome = 'interrupted';
    }
    void watcher.pollNow();
    return outcome;
  }

  isUnavailable(error: unknown): boolean {
    return error instanceof ComfyUnreachableError || error instanceof ComfyTimeoutError || (error instanceof ComfyHttpError && error.status >= 500);
  }

  isServerError(error: unknown): boolean {
    return error instanceof ComfyHttpError && error.status >= 500;
  }

  /** A job restored as waiting with a prompt id: an earlier send of it timed out, so ask ComfyUI before resending. */
  mayBeQueued(job: Job): void {
    this.uncertain.set(job.id, job.values ?? { ...job.params });
  }

  mayHaveArrived(error: unknown): boolean {
    return error instanceof ComfyTimeoutError || error instanceof SendUncertainError;
  }

  isLost(error: unknown): boolean {
    return error instanceof PromptLostError;
  }

  stop(): void {
    clearInterval(this.moveTimer);
  }

  private follower(backend: Backend, promptId: string): Following {
    return { promptId, backend, result: new Promise<PromptResult>(() => undefined), sink: undefined, latest: undefined, prefetched: new Map(), started: false };
  }

  private report(entry: Following, progress: JobProgress): void {
    if (progress.phase !== 'queued') entry.started = true;
    if (entry.sink) entry.sink(progress);
    else entry.latest = progress;
  }

  /** Starts downloading outputs as soon as `executed` names them: `execution_success` can trail it by 200 ms. */
  private prefetch(entry: Following, files: readonly OutputFile[]): void {
    for (const file of files) {
      const key = fileKey(file);
      if (entry.prefetched.has(key)) continue;
      const view = entry.backend.conn.client.view(file);
      view.catch(() => undefined);
      entry.prefetched.set(key, view);
    }
  }

  private discard(entry: Following): void {
    for (const view of entry.prefetched.values()) void view.then((opened) => opened.stream.destroy(), () => undefined);
    entry.prefetched.clear();
  }

  /** Prompts stuck on a server that has been down a while go elsewhere, if another healthy server exists. */
  private moveFromDeadServers(): void {
    const moveAfter = this.options.moveAfterMs ?? 30_000;
    if (!this.pool.anyUp) return;
    for (const entry of this.running.values()) {
      const { backend } = entry;
      if (backend.up || backend.downSince === undefined || this.now() - backend.downSince < moveAfter) continue;
      backend.conn.watcher.fail(entry.promptId, new PromptLostError(entry.promptId));
    }
  }
}
