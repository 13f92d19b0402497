import { beforeAll, describe, expect, it } from 'vitest';
import { withLoraSlots } from '../../src/comfy/lora.js';
import { fillWorkflow, loadTemplates, type Template } from '../../src/comfy/templates.js';
import { templateDirs } from '../../src/templates-registry.js';

let txt2img: Template;
let img2vid: Template;
beforeAll(async () => {
  const templates = await loadTemplates(templateDirs(undefined));
  txt2img = templates.get('txt2img') as Template;
  img2vid = templates.get('img2vid-core') as Template;
});

describe('LoRA slots', () => {
  it('leave the workflow alone when the job names no LoRA', () => {
    expect(withLoraSlots(txt2img, { prompt: 'x' })).toBe(txt2img);
  });

  it('chain a LoraLoader per LoRA between the checkpoint loader and every consumer of its MODEL and CLIP', () => {
    const { workflow, values } = fillWorkflow(txt2img, { prompt: 'x', lora: 'a.safetensors', lora2: 'b.safetensors', lora2_strength: 0.5 }, { seed: () => 1 });
    const loras = Object.entries(workflow).filter(([, node]) => node.class_type === 'LoraLoader');
    expect(loras.map(([id, node]) => [id, node.inputs])).toEqual([
      ['10', { model: ['4', 0], clip: ['4', 1], lora_name: 'a.safetensors', strength_model: 1, strength_clip: 1 }],
      ['11', { model: ['10', 0], clip: ['10', 1], lora_name: 'b.safetensors', strength_model: 0.5, strength_clip: 0.5 }],
    ]);
    expect(workflow['3']?.inputs['model']).toEqual(['11', 0]);
    expect([workflow['6']?.inputs['clip'], workflow['7']?.inputs['clip']]).toEqual([['11', 1], ['11', 1]]);
    // The VAE still comes straight from the checkpoint.
    expect(workflow['8']?.inputs['vae']).toEqual(['4', 2]);
    expect(values).toMatchObject({ lora: 'a.safetensors', lora_strength: 1, lora2: 'b.safetensors', lora2_strength: 0.5 });
    expect(txt2img.workflow['3']?.inputs['model']).toEqual(['4', 0]);
  });

  it('are refused by name on a template without a checkpoint loader, and checked like any value', () => {
    expect(() => fillWorkflow(img2vid, { lora: 'a.safetensors' })).toThrow(/unknown parameter "lora"/);
    expect(() => fillWorkflow(txt2img, { prompt: 'x', lora: 'a', lora_strength: 5 })).toThrow(/lora_strength must be between -2 and 2/);
  });
});
