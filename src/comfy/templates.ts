import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_SEED, TemplateFileSchema, type ParamSpec, type TemplateFile } from './template-schema.js';
import type { Workflow } from './schemas.js';
import { LORA_SLOTS, withLoraSlots } from './lora.js';

export { MAX_SEED, type ParamSpec };

/** Output node types of core ComfyUI and the common custom packs. */
export const KNOWN_OUTPUT_NODES = new Set([
  'SaveImage', 'PreviewImage', 'SaveAnimatedWEBP', 'SaveAnimatedPNG', 'SaveVideo', 'SaveWEBM',
  'SaveAudio', 'SaveAudioMP3', 'SaveAudioOpus', 'PreviewAudio', 'VHS_VideoCombine', 'SaveImageWebsocket',
]);

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export interface Template extends TemplateFile {
  /** Where it was loaded from, for messages. */
  source: string;
  outputNodes: string[];
}

export class TemplateError extends Error {
  override name = 'TemplateError';
}

/** A value a member or admin gave is not acceptable; the message names the parameter. */
export class ParamError extends Error {
  override name = 'ParamError';
  constructor(readonly param: string, message: string) {
    super(message);
  }
}

/** Checks a parsed template file: every mapped node and input exists, and there is something to output. */
export function loadTemplate(raw: unknown, source: string): Template {
  const parsed = TemplateFileSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(file)'}: ${issue.message}`);
    throw new TemplateError(`template ${source} is not valid: ${problems.join('; ')}`);
  }
  const file = parsed.data;
  const problems: string[] = [];
  for (const [nodeId, node] of Object.entries(file.workflow)) {
    if (FORBIDDEN_KEYS.has(nodeId) || Object.keys(node.inputs).some((key) => FORBIDDEN_KEYS.has(key))) {
      problems.push(`node ${nodeId} uses a reserved name`);
    }
  }
  for (const [name, spec] of Object.entries(file.params)) {
    for (const target of targetsOf(spec)) {
      const node = Object.hasOwn(file.workflow, target.node) ? file.workflow[target.node] : undefined;
      if (!node) problems.push(`parameter "${name}" points at node ${target.node}, which is not in the workflow`);
      else if (!Object.hasOwn(node.inputs, target.input)) {
        problems.push(`parameter "${name}" points at input "${target.input}" of node ${target.node} (${node.class_type}), which has no such input (it has: ${Object.keys(node.inputs).join(', ')})`);
      }
    }
  }
  const outputNodes = file.outputs ?? Object.entries(file.workflow).filter(([, node]) => KNOWN_OUTPUT_NODES.has(node.class_type)).map(([id]) => id);
  if (outputNodes.length === 0) problems.push('the workflow has no output node (add a SaveImage, or list custom sinks under "outputs")');
  for (const id of outputNodes) if (!Object.hasOwn(file.workflow, id)) problems.push(`output node ${id} is not in the workflow`);
  if (problems.length > 0) throw new TemplateError(`template ${source}: ${problems.join('; ')}`);
  return { ...file, source, outputNodes };
}

/** Loads every `*.json` template from the folders, later folders overriding earlier ones by name. */
export async function loadTemplates(dirs: readonly string[]): Promise<Map<string, Template>> {
  const templates = new Map<string, Template>();
  const problems: string[] = [];
  for (const dir of dirs) {
    const names = (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
    for (const name of names) {
      const path = join(dir, name);
      try {
        const template = loadTemplate(JSON.parse(await readFile(path, 'utf8')), path);
        templates.set(template.name, template);
      } catch (error) {
        problems.push(error instanceof SyntaxError ? `template ${path} is not valid JSON: ${error.message}` : (error as Error).message);
      }
    }
  }
  if (problems.length > 0) throw new TemplateError(problems.join('\n'));
  return templates;
}

export function targetsOf(spec: ParamSpec): Array<{ node: string; input: string }> {
  return [{ node: spec.node, input: spec.input }, ...spec.also];
}

export function randomSeed(): number {
  return Number(randomBytes(8).readBigUInt64BE() & BigInt(MAX_SEED));
}

function asNumber(name: string, raw: unknown): number {
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ParamError(name, `${name} must be a number (got ${JSON.stringify(raw)})`);
  return value;
}

function checkRange(name: string, value: number, min: number, max: number, whole: boolean): number {
  if (whole && !Number.isInteger(value)) throw new ParamError(name, `${name} must be a whole number (got ${value})`);
  if (value < min || value > max) throw new ParamError(name, `${name} must be between ${min} and ${max} (got ${value})`);
  return value;
}

/** Checks one value against its spec and returns it in the type ComfyUI expects. */
export function coerceParam(name: string, spec: ParamSpec, raw: unknown): string | number | boolean {
  switch (spec.type) {
    case 'string': {
      if (typeof raw !== 'string') throw new ParamError(name, `${name} must be text`);
      const length = [...raw].length;
      if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/.test(raw)) throw new ParamError(name, `${name} contains control characters; remove them`);
      if (spec.minLength > 0 && raw.trim() === '') throw new ParamError(name, `${name} must not be empty or only spaces`);
      if (length < spec.minLength) throw new ParamError(name, spec.minLength === 1 ? `${name} must not be empty` : `${name} must be at least ${spec.minLength} characters`);
      if (length > spec.maxLength) throw new ParamError(name, `${name} must be at most ${spec.maxLength} characters (got ${length})`);
      return raw;
    }
    case 'int': {
      const value = checkRange(name, asNumber(name, raw), spec.min, spec.max, true);
      if (spec.multipleOf && value % spec.multipleOf !== 0) throw new ParamError(name, `${name} must be a multiple of ${spec.multipleOf} (got ${value})`);
      return value;
    }
    case 'float':
      return checkRange(name, asNumber(name, raw), spec.min, spec.max, false);
    case 'seed':
      return checkRange(name, asNumber(name, raw), 0, MAX_SEED, true);
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === 'false') return raw === 'true';
      throw new ParamError(name, `${name} must be true or false`);
    case 'combo':
      if (typeof raw !== 'string' || raw === '') throw new ParamError(name, `${name} must be one of the listed values`);
      if (spec.options && !spec.options.includes(raw)) throw new ParamError(name, `${name} must be one of: ${spec.options.join(', ')} (got "${raw}")`);
      return raw;
    case 'image':
      if (typeof raw !== 'string' || raw === '') throw new ParamError(name, `${name} must name an uploaded image`);
      return raw;
  }
}

export interface FillOptions {
  seed?: () => number;
}

export interface FilledWorkflow {
  workflow: Workflow;
  /** Every parameter's final value (given, defaulted or random), for the reply's embed. */
  values: Record<string, string | number | boolean>;
}

/**
 * Structural filling: a deep copy with values set at checked paths. Never string substitution, so a prompt
 * with quotes, braces or `{{…}}` reaches ComfyUI byte for byte.
 */
export function fillWorkflow(asked: Template, given: Readonly<Record<string, unknown>>, options: FillOptions = {}): FilledWorkflow {
  const template = withLoraSlots(asked, given);
  for (const slot of LORA_SLOTS) {
    if (given[slot.strength] !== undefined && given[slot.name] === undefined) throw new ParamError(slot.strength, `${slot.strength} needs ${slot.name}: name the LoRA it applies to`);
  }
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(template.params, name)) {
      throw new ParamError(name, `unknown parameter "${name}"; ${template.name} takes: ${Object.keys(template.params).join(', ')}`);
    }
  }
  const workflow = structuredClone(template.workflow);
  const values: Record<string, string | number | boolean> = {};
  for (const [name, spec] of Object.entries(template.params)) {
    const raw = Object.hasOwn(given, name) ? given[name] : undefined;
    const value = raw === undefined ? defaultValue(name, spec, template, options) : coerceParam(name, spec, raw);
    for (const target of targetsOf(spec)) {
      const node = workflow[target.node];
      if (!node) throw new TemplateError(`template ${template.name} lost node ${target.node}`);
      node.inputs[target.input] = value;
    }
    values[name] = value;
  }
  return { workflow, values };
}

function defaultValue(name: string, spec: ParamSpec, template: Template, options: FillOptions): string | number | boolean {
  if (spec.type === 'seed') return (options.seed ?? randomSeed)();
  if ('default' in spec && spec.default !== undefined) return spec.default;
  const current = template.workflow[spec.node]?.inputs[spec.input];
  if (typeof current === 'string' || typeof current === 'number' || typeof current === 'boolean') return coerceParam(name, spec, current);
  throw new ParamError(name, `${name} is required`);
}
