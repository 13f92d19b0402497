import { withLoraSlots } from '../comfy/lora.js';
import type { Template } from '../comfy/templates.js';
import type { Job, JobKind } from '../jobs/job.js';

type Params = Record<string, string | number | boolean>;

/** Which kinds of follow-up job some server can run now; buttons for the others are not shown. */
export interface Runnable {
  img2img: boolean;
  upscale: boolean;
  img2vid: boolean;
}

/** What a result's button makes (delete is not a job). */
export type FollowUp = 'reroll' | 'vary-subtle' | 'vary-strong' | 'upscale' | 'animate' | 'edit';

/** Img2img denoise for the two Vary buttons: a subtle change keeps the composition, a strong one only its gist. */
export const VARY_STRENGTH = { 'vary-subtle': 0.35, 'vary-strong': 0.7 } as const;

export interface DerivedJob {
  kind: JobKind;
  /** The parent's own template for reroll and edit; the kind's default otherwise. */
  template: string | undefined;
  params: Params;
  /** Whether the result's picture is the new job's input image. */
  usesPicture: boolean;
  /** Every param must fit the template (the parent's own); otherwise those the template does not take are dropped. */
  strict: boolean;
}

/** What a picture-based follow-up carries over from its parent: the model and how it was drawn, not its size or seed. */
const CARRIED = ['prompt', 'negative', 'checkpoint', 'sampler', 'scheduler', 'steps', 'cfg', 'lora', 'lora_strength', 'lora2', 'lora2_strength'];

/** The parent's settings a picture-based follow-up keeps (as resolved, so a default checkpoint stays the same). */
function carried(parent: Job): Params {
  const values = { ...parent.params, ...parent.values };
  return Object.fromEntries(CARRIED.filter((key) => values[key] !== undefined).map((key) => [key, values[key] as string | number | boolean]));
}

/**
 * The job a button under `parent`'s result asks for. Reroll keeps every parameter but the seed; Edit keeps every
 * parameter, the resolved seed included, and takes the new words; the others start from the picture.
 */
export function deriveJob(parent: Job, action: FollowUp, edit?: { prompt: string; negative: string | undefined }): DerivedJob {
  switch (action) {
    case 'reroll': {
      const { seed: _seed, ...rest } = parent.params;
      return { kind: parent.kind, template: parent.template, params: rest, usesPicture: false, strict: true };
    }
    case 'edit': {
      const seed = parent.values?.['seed'] ?? parent.params['seed'];
      const { negative: _old, ...kept } = parent.params;
      // The form has no negative field when the template takes none.
      const params: Params = edit?.negative === undefined ? kept : { ...parent.params, negative: edit.negative };
      if (seed !== undefined) params['seed'] = seed;
      params['prompt'] = edit?.prompt ?? '';
      return { kind: parent.kind, template: parent.template, usesPicture: false, strict: true, params };
    }
    case 'vary-subtle':
    case 'vary-strong':
      return { kind: 'img2img', template: undefined, params: { ...carried(parent), strength: VARY_STRENGTH[action] }, usesPicture: true, strict: false };
    case 'upscale':
      return { kind: 'upscale', template: undefined, params: carried(parent), usesPicture: true, strict: false };
    case 'animate':
      return { kind: 'img2vid', template: undefined, params: {}, usesPicture: true, strict: false };
  }
}

/**
 * Only the parameters a template takes (LoRA slots included, when it can take them): a follow-up offers what it
 * can (the prompt, the checkpoint) to templates that may not use it.
 */
export function paramsFor(template: Template, params: Params, strict: boolean): Params {
  if (strict) return params;
  const declared = withLoraSlots(template, params).params;
  return Object.fromEntries(Object.entries(params).filter(([name]) => declared[name] !== undefined && declared[name].type !== 'image'));
}
