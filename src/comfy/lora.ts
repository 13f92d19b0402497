import type { Template } from './templates.js';

/** Up to two LoRAs a job may name; a template that declares these params itself places them its own way. */
export const LORA_SLOTS = [
  { name: 'lora', strength: 'lora_strength' },
  { name: 'lora2', strength: 'lora2_strength' },
] as const;

/** Nodes whose outputs 0 and 1 are the MODEL and CLIP a LoRA applies to. */
const CHECKPOINT_LOADERS = new Set(['CheckpointLoaderSimple', 'CheckpointLoader', 'unCLIPCheckpointLoader']);

type Link = [string, number];

function isLink(value: unknown, node: string, slot: number): boolean {
  return Array.isArray(value) && value[0] === node && value[1] === slot;
}

/**
 * The template with a LoraLoader for each LoRA slot the job uses, inserted structurally between the checkpoint
 * loader and everything that read its MODEL and CLIP, and `lora`/`lora_strength` params aimed at it. Unchanged when
 * the job names no LoRA, the template declares the slot itself, or it has no checkpoint loader (then the params
 * stay unknown and are refused as such).
 */
export function withLoraSlots(template: Template, given: Readonly<Record<string, unknown>>): Template {
  const used = LORA_SLOTS.filter((slot) => (given[slot.name] !== undefined || given[slot.strength] !== undefined) && !Object.hasOwn(template.params, slot.name));
  const loader = Object.keys(template.workflow).find((id) => CHECKPOINT_LOADERS.has(template.workflow[id]?.class_type ?? ''));
  if (used.length === 0 || loader === undefined) return template;
  const workflow = structuredClone(template.workflow);
  const params = { ...template.params };
  let nextId = Math.max(0, ...Object.keys(workflow).map(Number).filter(Number.isInteger)) + 1;
  let model: Link = [loader, 0];
  let clip: Link = [loader, 1];
  const inserted = new Set<string>();
  for (const slot of used) {
    const id = String(nextId++);
    inserted.add(id);
    workflow[id] = { class_type: 'LoraLoader', inputs: { model, clip, lora_name: '', strength_model: 1, strength_clip: 1 }, _meta: { title: `LoRA (${slot.name})` } };
    params[slot.name] = { type: 'combo', node: id, input: 'lora_name', also: [], description: 'LoRA (models/loras)' };
    params[slot.strength] = { type: 'float', node: id, input: 'strength_model', also: [{ node: id, input: 'strength_clip' }], min: -2, max: 2, default: 1, description: 'How strongly the LoRA applies' };
    model = [id, 0];
    clip = [id, 1];
  }
  for (const [id, node] of Object.entries(workflow)) {
    if (inserted.has(id)) continue;
    for (const [input, value] of Object.entries(node.inputs)) {
      if (isLink(value, loader, 0)) node.inputs[input] = [...model];
      else if (isLink(value, loader, 1)) node.inputs[input] = [...clip];
    }
  }
  return { ...template, workflow, params };
}
