import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkTemplateAgainstServer, resolveServerDefaults } from '../../src/comfy/template-check.js';
import { fillWorkflow, loadTemplate, loadTemplates, MAX_SEED, ParamError, TemplateError, type Template } from '../../src/comfy/templates.js';
import { templateDirs } from '../../src/templates-registry.js';
import type { ComfySim } from '../fakes/comfy/sim.js';
import { clientFor, startSim } from '../helpers.js';

/** C0/C1 controls other than tab, newline and carriage return. */
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

let templates: Map<string, Template>;
let txt2img: Template;
beforeAll(async () => {
  templates = await loadTemplates(templateDirs(undefined));
  txt2img = templates.get('txt2img') as Template;
});

function raw(overrides: Record<string, unknown> = {}) {
  return {
    name: 'mini', command: 'imagine',
    workflow: {
      '1': { class_type: 'EmptyImage', inputs: { width: 64, height: 64, batch_size: 1, color: 0 } },
      '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'x' } },
    },
    params: { width: { node: '1', input: 'width', type: 'int', min: 1, max: 512 } },
    ...overrides,
  };
}

describe('shipped templates', () => {
  it('load: txt2img, img2vid, img2vid-core, img2img, inpaint and the two upscales', () => {
    expect([...templates.keys()].sort()).toEqual(['img2img', 'img2vid', 'img2vid-core', 'inpaint', 'txt2img', 'upscale-latent', 'upscale-model']);
    expect(templates.get('img2vid')?.outputNodes).toEqual(['24']);
    expect(templates.get('img2vid-core')?.workflow['24']?.class_type).toBe('SaveAnimatedWEBP');
  });

  it('img2vid-core uses only core nodes', async () => {
    const sim = await startSim({ videoHelperSuite: false });
    try {
      const info = await clientFor(sim).objectInfo();
      expect(checkTemplateAgainstServer(templates.get('img2vid-core') as Template, info)).toEqual([]);
      const problems = checkTemplateAgainstServer(templates.get('img2vid') as Template, info);
      expect(problems.map((problem) => problem.message)).toEqual(['node type VHS_VideoCombine is not installed — it comes from the ComfyUI-VideoHelperSuite custom nodes']);
    } finally {
      await sim.stop();
    }
  });
});

describe('loading a template', () => {
  it('refuses a parameter pointing at a missing node or input, naming it', () => {
    expect(() => loadTemplate(raw({ params: { w: { node: '7', input: 'width', type: 'int', min: 1, max: 2 } } }), 'bad.json')).toThrow('parameter "w" points at node 7, which is not in the workflow');
    expect(() => loadTemplate(raw({ params: { w: { node: '1', input: 'wide', type: 'int', min: 1, max: 2 } } }), 'bad.json')).toThrow(/input "wide" of node 1 \(EmptyImage\), which has no such input/);
  });

  it('refuses a workflow without an output node', () => {
    const workflow = { '1': { class_type: 'EmptyImage', inputs: { width: 64, height: 64, batch_size: 1, color: 0 } } };
    expect(() => loadTemplate(raw({ workflow, params: {} }), 'bad.json')).toThrow(/no output node/);
  });

  it('refuses reserved names that could pollute prototypes', () => {
    const text = JSON.stringify(raw({ params: { w: { node: '__proto__', input: 'polluted', type: 'int', min: 1, max: 2 } } }))
      .replace('"workflow":{', '"workflow":{"__proto__":{"class_type":"X","inputs":{"polluted":1}},');
    expect(() => loadTemplate(JSON.parse(text), 'evil.json')).toThrow(TemplateError);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('reports every bad file in an admin folder by path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'templates-'));
    await writeFile(join(dir, 'broken.json'), '{ nope');
    await writeFile(join(dir, 'mine.json'), JSON.stringify(raw({ name: 'txt2img' })));
    await expect(loadTemplates(templateDirs(dir))).rejects.toThrow(/broken\.json is not valid JSON/);
    await writeFile(join(dir, 'broken.json'), JSON.stringify(raw({ name: 'mine2' })));
    const loaded = await loadTemplates(templateDirs(dir));
    expect(loaded.get('txt2img')?.source).toBe(join(dir, 'mine.json'));
    await rm(dir, { recursive: true, force: true });
  });
});

describe('filling a template', () => {
  it('sets values at their paths in a deep copy, leaving the template untouched', () => {
    const before = JSON.stringify(txt2img.workflow);
    const { workflow, values } = fillWorkflow(txt2img, { prompt: 'a fox', steps: 8, seed: 42 });
    expect(workflow['6']?.inputs['text']).toBe('a fox');
    expect(workflow['3']?.inputs).toMatchObject({ steps: 8, seed: 42 });
    expect(values).toMatchObject({ prompt: 'a fox', steps: 8, seed: 42, cfg: 7, sampler: 'dpmpp_2m' });
    expect(JSON.stringify(txt2img.workflow)).toBe(before);
  });

  it('writes one parameter to every input it maps (fps on conditioning and writer)', () => {
    const { workflow } = fillWorkflow(templates.get('img2vid') as Template, { image: 'in.png', fps: 12 });
    expect([workflow['12']?.inputs['fps'], workflow['24']?.inputs['frame_rate']]).toEqual([12, 12]);
  });

  it('round-trips any unicode prompt without control characters exactly (property)', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 300 }).filter((text) => text.trim() !== '' && !CONTROL.test(text)), (prompt) => {
      const { workflow } = fillWorkflow(txt2img, { prompt });
      const wire = JSON.parse(JSON.stringify(workflow)) as typeof workflow;
      expect(wire['6']?.inputs['text']).toBe(prompt);
    }), { numRuns: 500, seed: 20261126 });
  });

  it('refuses any prompt with control characters, naming the parameter (property)', () => {
    fc.assert(fc.property(fc.string(), fc.integer({ min: 0, max: 0x9f }).filter((code) => CONTROL.test(String.fromCharCode(code))), fc.string(), (before, code, after) => {
      expect(() => fillWorkflow(txt2img, { prompt: `x${before}${String.fromCharCode(code)}${after}` })).toThrow('prompt contains control characters; remove them');
    }), { numRuns: 200, seed: 3 });
  });

  it('refuses out-of-bounds numbers with the parameter name (property)', () => {
    fc.assert(fc.property(fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 101 })), (steps) => {
      expect(() => fillWorkflow(txt2img, { prompt: 'x', steps })).toThrow(new ParamError('steps', `steps must be between 1 and 100 (got ${steps})`));
    }), { numRuns: 200, seed: 7 });
  });

  it('refuses unknown parameters, fractions, bad multiples and empty prompts', () => {
    expect(() => fillWorkflow(txt2img, { prompt: 'x', strength: 1 })).toThrow(/unknown parameter "strength"; txt2img takes: prompt, negative/);
    expect(() => fillWorkflow(txt2img, { prompt: 'x', steps: 2.5 })).toThrow('steps must be a whole number (got 2.5)');
    expect(() => fillWorkflow(txt2img, { prompt: 'x', width: 1001 })).toThrow('width must be a multiple of 8 (got 1001)');
    expect(() => fillWorkflow(txt2img, { prompt: '  \n ' })).toThrow('prompt must not be empty or only spaces');
    expect(() => fillWorkflow(txt2img, { prompt: 'x'.repeat(4001) })).toThrow('prompt must be at most 4000 characters (got 4001)');
    expect(() => fillWorkflow(txt2img, { prompt: 'x', cfg: 'lots' })).toThrow('cfg must be a number (got "lots")');
  });

  it('makes random seeds that JSON carries exactly', () => {
    for (let i = 0; i < 200; i++) {
      const seed = fillWorkflow(txt2img, { prompt: 'x' }).values['seed'] as number;
      expect(Number.isSafeInteger(seed) && seed >= 0 && seed <= MAX_SEED).toBe(true);
    }
    expect(fillWorkflow(txt2img, { prompt: 'x' }, { seed: () => 5 }).values['seed']).toBe(5);
    expect(() => fillWorkflow(txt2img, { prompt: 'x', seed: 2 ** 53 })).toThrow(/seed must be between 0 and 9007199254740991/);
  });
});

describe('a template against a live server', () => {
  let sim: ComfySim;
  beforeAll(async () => { sim = await startSim({ checkpoints: ['a.safetensors', 'b.safetensors'] }); });
  afterAll(async () => { await sim.stop(); });

  it('names combo values the server does not offer, and how to fix them', async () => {
    const info = await clientFor(sim).objectInfo();
    const broken = loadTemplate({ ...txt2img, workflow: { ...txt2img.workflow, '3': { ...txt2img.workflow['3'], class_type: 'KSampler', inputs: { ...txt2img.workflow['3']?.inputs, denoise: 1 } } } }, 'x');
    const mapped = Object.fromEntries(Object.entries(broken.params).filter(([name]) => name !== 'sampler'));
    const problems = checkTemplateAgainstServer({ ...broken, params: mapped, workflow: { ...broken.workflow, '3': { class_type: 'KSampler', inputs: { ...broken.workflow['3']?.inputs, sampler_name: 'magic' } } } }, info);
    expect(problems).toEqual([{ nodeId: '3', message: expect.stringContaining('KSampler (node 3) has sampler_name "magic", which this server does not offer (it has: euler,') as string, fix: 'change sampler_name in x to one of the listed values' }]);
  });

  it('resolves a default checkpoint the server lacks to one it has', async () => {
    const info = await clientFor(sim).objectInfo();
    const { template, notes } = resolveServerDefaults(txt2img, info);
    expect(notes).toEqual(['checkpoint: sd_xl_base_1.0.safetensors is not installed, using a.safetensors']);
    expect(fillWorkflow(template, { prompt: 'x' }).values['checkpoint']).toBe('a.safetensors');
  });

  it('delivers prompts full of quotes, braces, backslashes, emoji and placeholders byte for byte (property)', async () => {
    const client = clientFor(sim);
    const { template } = resolveServerDefaults(txt2img, await client.objectInfo());
    const nasty = fc.oneof(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 }), fc.constantFrom('{{prompt}}', '"}, "9": {"class_type": "X"', 'C:\\path\\n', '👩‍👩‍👧 فارسی עברית', '%PROMPT%', '\u202e x\ty\r\n'));
    await fc.assert(fc.asyncProperty(nasty.filter((text) => text.trim() !== '' && !CONTROL.test(text)), async (prompt) => {
      const promptId = randomUUID();
      await client.queuePrompt(fillWorkflow(template, { prompt }).workflow, { promptId });
      const received = sim.submitted.find((body) => body['prompt_id'] === promptId) as { prompt: Record<string, { inputs: Record<string, unknown> }> };
      expect(received.prompt['6']?.inputs['text']).toBe(prompt);
    }), { numRuns: 40, seed: 11 });
    await client.clearQueue();
  });
});
