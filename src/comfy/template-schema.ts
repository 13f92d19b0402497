import { z } from 'zod';
import { JOB_KINDS } from '../jobs/job.js';
import { WorkflowSchema } from './schemas.js';

/** JSON carries integers exactly only up to 2^53 − 1; ComfyUI's seed max (2^64 − 1) would be rounded. */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;

const TargetSchema = z.object({ node: z.string().min(1), input: z.string().min(1) });

const base = {
  node: z.string().min(1),
  input: z.string().min(1),
  /** Further inputs that take the same value (e.g. fps on both the conditioning and the video writer). */
  also: z.array(TargetSchema).default([]),
  description: z.string().default(''),
};

export const ParamSpecSchema = z.discriminatedUnion('type', [
  z.object({ ...base, type: z.literal('string'), default: z.string().optional(), minLength: z.number().int().min(0).default(0), maxLength: z.number().int().positive().default(4000) }),
  z.object({ ...base, type: z.literal('int'), default: z.number().int().optional(), min: z.number().int(), max: z.number().int(), multipleOf: z.number().int().positive().optional() }),
  z.object({ ...base, type: z.literal('float'), default: z.number().optional(), min: z.number(), max: z.number() }),
  z.object({ ...base, type: z.literal('seed') }),
  z.object({ ...base, type: z.literal('boolean'), default: z.boolean().optional() }),
  /** Values come from the server's /object_info (checkpoints, samplers…) unless `options` pins them. */
  z.object({ ...base, type: z.literal('combo'), default: z.string().optional(), options: z.array(z.string()).optional() }),
  /** An uploaded input image: the value is the name /upload/image returned. */
  z.object({ ...base, type: z.literal('image') }),
]);
export type ParamSpec = z.infer<typeof ParamSpecSchema>;

export const TemplateFileSchema = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'use 1–32 lowercase letters, digits, - or _'),
  description: z.string().default(''),
  /** Which kind of job it makes: the slash command (or result button) that may use it. */
  command: z.enum(JOB_KINDS),
  workflow: WorkflowSchema,
  params: z.record(z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, 'parameter names are lowercase identifiers'), ParamSpecSchema),
  /** The model's native square side (512 for SD 1.5, 1024 for SDXL): aspect ratios become sizes around it. */
  base: z.number().int().min(64).max(4096).optional(),
  /** Output node ids, when the workflow's sinks are custom nodes this project does not know. */
  outputs: z.array(z.string()).optional(),
});
export type TemplateFile = z.infer<typeof TemplateFileSchema>;
