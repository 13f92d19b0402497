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
}

/** The words of a job: what the member typed, or what was resolved (the same unless a template filled them in). */
function words(parent: Job): Params {
  const values = { ...parent.params, ...parent.values };
  const kept: Params = {};
  for (const key of ['prompt', 'negative'] as const) if (typeof values[key] === 'string') kept[key] = values[key];
  return kept;
}

/**
 * The job a button under `parent`'s result asks for. Reroll keeps every parameter but the seed; Edit keeps every
 * parameter, the resolved seed included, and takes the new words; the others start from the picture.
 */
export function deriveJob(parent: Job, action: FollowUp, edit?: { prompt: string; negative: string }): DerivedJob {
  switch (action) {
    case 'reroll': {
      const { seed: _seed, ...rest } = parent.params;
      return { kind: parent.kind, template: parent.template, params: rest, usesPicture: false };
    }
    case 'edit': {
      const seed = parent.values?.['seed'] ?? parent.params['seed'];
      return {
        kind: parent.kind, template: parent.template, usesPicture: false,
        params: { ...parent.params, ...(seed !== undefined ? { seed } : {}), prompt: edit?.prompt ?? '', negative: edit?.negative ?? '' },
      };
    }
    case 'vary-subtle':
    case 'vary-strong':
      return { kind: 'img2img', template: undefined, params: { ...words(parent), strength: VARY_STRENGTH[action] }, usesPicture: true };
    case 'upscale':
      return { kind: 'upscale', template: undefined, params: words(parent), usesPicture: true };
    case 'animate':
      return { kind: 'img2vid', template: undefined, params: {}, usesPicture: true };
  }
}

/** Only the parameters a template takes: a follow-up offers what it can (the prompt, say) to templates that may ignore it. */
export function paramsFor(declared: Readonly<Record<string, { type: string }>>, params: Params, strict: boolean): Params {
  if (strict) return params;
  return Object.fromEntries(Object.entries(params).filter(([name]) => declared[name] !== undefined && declared[name].type !== 'image'));
}
