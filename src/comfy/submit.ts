import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ComfyConnection } from './connection.js';
import { ComfyTimeoutError } from './errors.js';
import { explainNodeErrors } from './explain.js';
import type { OutputFile } from './outputs.js';
import type { NodeErrors, ObjectInfo } from './schemas.js';
import { resolveServerDefaults } from './template-check.js';
import { fillWorkflow, type Template } from './templates.js';
import type { PromptProgress, PromptResult } from './watcher.js';

/** Image bytes to upload for a template's image parameter. */
export interface TemplateImage {
  bytes: Buffer;
  extension: string;
  /** A PNG of the image's size whose alpha marks what to keep (transparent = repaint); see comfy/mask.ts. */
  mask?: Buffer;
}

export interface SubmitOptions {
  /** Our own prompt id, chosen (and written down) before sending; a fresh one when omitted. */
  promptId?: string;
  image?: TemplateImage;
  /** Where uploads go in ComfyUI's input folder. */
  subfolder?: string;
  onProgress?: (progress: PromptProgress) => void;
  /** How long to look for the prompt after its POST timed out (the answer may only be late). */
  lateAnswerMs?: number;
  /** Extra fields of the prompt's `extra_data` (e.g. `preview_method`); servers ignore what they do not know. */
  extraData?: Record<string, unknown>;
  /** Files named by an `executed` event, before the prompt has finished: fetching can start at once. */
  onOutput?: (files: OutputFile[]) => void;
}

export interface SubmittedTemplate {
  promptId: string;
  /** Every parameter's final value (seed included). */
  values: Record<string, string | number | boolean>;
  /** Why ComfyUI dropped some outputs of an otherwise accepted prompt (a 200 that carries node_errors). */
  dropped: string[];
  /** Settles when the prompt has finished in ComfyUI. */
  result: Promise<PromptResult>;
  /** Substitutions made for this server (a default checkpoint it lacks → one it has). */
  notes: string[];
}

/** After a timed-out POST: asks /queue and /history for our prompt id for a while, since the answer may be late. */
async function arrives(conn: ComfyConnection, promptId: string, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    if ((await conn.watcher.knows(promptId)) === true) return true;
    if (Date.now() >= deadline) return false;
    await sleep(250);
  }
}

export function imageParamOf(template: Template): string | undefined {
  return Object.entries(template.params).find(([, spec]) => spec.type === 'image')?.[0];
}

/**
 * The one way a template reaches ComfyUI (the bot and `render` both use it): resolve defaults for this server,
 * upload the image under a name derived from its bytes (a resubmission reuses the file instead of adding one),
 * fill the workflow structurally, watch our own prompt id, then queue it. A timed-out POST is looked up before
 * anyone tries again, since ComfyUI may have queued it after all.
 */
export async function submitTemplate(conn: ComfyConnection, objectInfo: ObjectInfo, template: Template, params: Readonly<Record<string, unknown>>, options: SubmitOptions = {}): Promise<SubmittedTemplate> {
  const resolved = resolveServerDefaults(template, objectInfo);
  const given: Record<string, unknown> = { ...params };
  const imageParam = imageParamOf(template);
  if (imageParam && options.image) {
    const digest = createHash('sha256').update(options.image.bytes).digest('hex').slice(0, 24);
    const subfolder = options.subfolder ?? 'discord';
    let uploaded = await conn.client.uploadImage(options.image.bytes, `bot-${digest}.${options.image.extension}`, { subfolder, overwrite: true });
    if (options.image.mask) {
      // ComfyUI copies the mask's alpha onto the original it names and saves the result; LoadImage reads it back as
      // the picture and its MASK (1 where transparent).
      const maskDigest = createHash('sha256').update(options.image.mask).digest('hex').slice(0, 24);
      const original = { filename: uploaded.name, subfolder: uploaded.subfolder, type: uploaded.type };
      uploaded = await conn.client.uploadMask(options.image.mask, `bot-${digest}-mask-${maskDigest}.png`, original, { subfolder, overwrite: true });
    }
    given[imageParam] = uploaded.subfolder ? `${uploaded.subfolder}/${uploaded.name}` : uploaded.name;
  }
  const { workflow, values } = fillWorkflow(resolved.template, given);
  const nodeOrder = Object.keys(workflow);
  const promptId = options.promptId ?? randomUUID();
  const watch = (id: string): Promise<PromptResult> => conn.watcher.watch(id, {
    nodeOrder,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.onOutput ? { onOutput: options.onOutput } : {}),
  });
  let result = watch(promptId);
  result.catch(() => undefined);
  let queued: { promptId: string; nodeErrors: NodeErrors };
  try {
    queued = await conn.client.queuePrompt(workflow, { promptId, ...(options.extraData ? { extraData: options.extraData } : {}) });
  } catch (error) {
    if (!(error instanceof ComfyTimeoutError) || !(await arrives(conn, promptId, options.lateAnswerMs ?? 5_000))) {
      conn.watcher.forget(promptId);
      throw error;
    }
    queued = { promptId, nodeErrors: {} };
  }
  if (queued.promptId !== promptId) {
    conn.watcher.forget(promptId);
    result = watch(queued.promptId);
    result.catch(() => undefined);
  }
  conn.watcher.confirm(queued.promptId);
  const dropped = explainNodeErrors(queued.nodeErrors);
  return { promptId: queued.promptId, values, dropped, result, notes: resolved.notes };
}
