import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTemplates } from '../../src/comfy/templates.js';
import { chunk } from '../e2e/png.js';
import { runNpmScript } from '../run-script.js';

/** `npm run template -- import FILE`, as an admin runs it (no ComfyUI reachable here: it says so and saves anyway). */
let dir: string;
let txt2img: Record<string, unknown>;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'template-import-'));
  txt2img = (JSON.parse(await readFile(new URL('../../workflows/txt2img.json', import.meta.url), 'utf8')) as { workflow: Record<string, unknown> }).workflow;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const importing = (file: string, ...args: string[]) => runNpmScript('template', ['import', file, '--out', join(dir, 'out'), ...args], { COMFYUI_URL: 'http://127.0.0.1:9', COMFYUI_TIMEOUT_MS: '1000' }, 60_000);

describe('npm run template -- import', () => {
  it('finds the parameters of an API-format JSON export and saves a template the bot loads', async () => {
    const file = join(dir, 'My SDXL.json');
    await writeFile(file, JSON.stringify(txt2img));
    const result = await importing(file);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('my-sdxl: a /imagine template with 11 parameters');
    expect(result.stdout).toContain('prompt: the text feeding the sampler\'s positive (node 6 text)');
    expect(result.stdout).toContain('negative: the text feeding the sampler\'s negative (node 7 text)');
    expect(result.stdout).toMatch(/! could not check it against http:\/\/127\.0\.0\.1:9: ComfyUI at .* is not reachable/);
    const loaded = await loadTemplates([join(dir, 'out')]);
    expect(Object.keys(loaded.get('my-sdxl')?.params ?? {}).sort()).toEqual(['cfg', 'checkpoint', 'count', 'height', 'negative', 'prompt', 'sampler', 'scheduler', 'seed', 'steps', 'width']);
    expect((await importing(file)).stderr).toMatch(/exists; pass --force to replace it/);
  });

  it('reads the prompt ComfyUI saved in a PNG, and tells an img2img workflow by its LoadImage', async () => {
    const withImage = { ...txt2img, 10: { class_type: 'LoadImage', inputs: { image: 'x.png' } }, 11: { class_type: 'VAEEncode', inputs: { pixels: ['10', 0], vae: ['4', 2] } } } as Record<string, { inputs: Record<string, unknown> }>;
    (withImage['3'] as { inputs: Record<string, unknown> }).inputs['latent_image'] = ['11', 0];
    delete withImage['5'];
    const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#fff' } }).png().toBuffer();
    const text = chunk('tEXt', Buffer.concat([Buffer.from('prompt\0', 'latin1'), Buffer.from(JSON.stringify(withImage), 'latin1')]));
    const file = join(dir, 'ComfyUI_00001_.png');
    await writeFile(file, Buffer.concat([png.subarray(0, png.length - 12), text, png.subarray(png.length - 12)]));
    const result = await importing(file, '--name', 'from-png');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('from-png: a /img2img template');
    expect(result.stdout).toContain('image: LoadImage image (node 10 image)');
  });

  it('refuses the editor\'s own (UI) format, saying how to export the API format', async () => {
    const file = join(dir, 'ui.json');
    await writeFile(file, JSON.stringify({ last_node_id: 9, nodes: [{ id: 3, type: 'KSampler' }], links: [[1, 4, 0, 3, 0, 'MODEL']], version: 0.4 }));
    const result = await importing(file);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^template import failed: This is the ComfyUI editor's own workflow format .* Workflow → Export \(API\)/m);
  });
});
