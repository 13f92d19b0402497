import { beforeAll, describe, expect, it } from 'vitest';
import { loadTemplates, type Template } from '../../src/comfy/templates.js';
import type { Job } from '../../src/jobs/job.js';
import { deriveJob, paramsFor } from '../../src/service/derive.js';
import { templateDirs } from '../../src/templates-registry.js';

let templates: Map<string, Template>;
beforeAll(async () => {
  templates = await loadTemplates(templateDirs(undefined));
});

const parent: Job = {
  id: 'p1', kind: 'imagine', template: 'txt2img', state: 'done', createdAt: 0, resubmits: 0, requester: { id: 'ann', name: 'ann' },
  origin: { guildId: 'g', channelId: 'c', interactionId: 'i', interactionToken: '', interactionAt: 0, attachmentLimit: 1 },
  params: { prompt: 'a fox', negative: 'blur', steps: 12, width: 1344, height: 768, count: 4, lora: 'style.safetensors' },
  values: { prompt: 'a fox', negative: 'blur', steps: 12, seed: 42, checkpoint: 'sd_xl_base_1.0.safetensors', sampler: 'euler', cfg: 7 },
};

describe('deriveJob', () => {
  it('reroll keeps every parameter the member gave but the seed', () => {
    expect(deriveJob(parent, 'reroll')).toEqual({ kind: 'imagine', template: 'txt2img', params: { ...parent.params }, usesPicture: false, strict: true });
    expect(deriveJob({ ...parent, params: { ...parent.params, seed: 5 } }, 'reroll').params['seed']).toBeUndefined();
  });

  it('edit takes the new words and keeps the rest, the resolved seed included; without a negative field it drops the old one', () => {
    expect(deriveJob(parent, 'edit', { prompt: 'a wolf', negative: '' }).params).toEqual({ ...parent.params, prompt: 'a wolf', negative: '', seed: 42 });
    expect(deriveJob(parent, 'edit', { prompt: 'a wolf', negative: undefined }).params).not.toHaveProperty('negative');
  });

  it('vary carries the model and how it was drawn (checkpoint, sampler, LoRA…), not the size, count or seed', () => {
    const vary = deriveJob(parent, 'vary-strong');
    expect(vary).toMatchObject({ kind: 'img2img', usesPicture: true, strict: false });
    expect(vary.params).toEqual({ prompt: 'a fox', negative: 'blur', steps: 12, checkpoint: 'sd_xl_base_1.0.safetensors', sampler: 'euler', cfg: 7, lora: 'style.safetensors', strength: 0.7 });
    const given = paramsFor(templates.get('img2img') as Template, vary.params, false);
    expect(given).toEqual(vary.params);
    // A template that takes none of them keeps only what it declares.
    expect(paramsFor(templates.get('upscale-model') as Template, deriveJob(parent, 'upscale').params, false)).toEqual({});
  });
});
