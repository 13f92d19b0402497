import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComfySim } from '../fakes/comfy/sim.js';
import { startSim } from '../helpers.js';
import { runNpmScript } from '../run-script.js';

let sim: ComfySim;
let out: string;
beforeAll(async () => {
  sim = await startSim({ imageWidth: 96, imageHeight: 64 });
  out = await mkdtemp(join(tmpdir(), 'render-'));
});
afterAll(async () => {
  await sim.stop();
  await rm(out, { recursive: true, force: true });
});

describe('npm run render', () => {
  it('renders txt2img against a server and writes a PNG that decodes', async () => {
    const result = await runNpmScript('render', ['--template', 'txt2img', '--set', 'prompt=a "red" fox {{x}}', '--set', 'steps=8', '--out', out, '--server', sim.url]);
    expect(result.code, result.stderr).toBe(0);
    const [path] = result.stdout.trim().split('\n');
    const bytes = await readFile(path as string);
    expect(await sharp(bytes).metadata()).toMatchObject({ format: 'png', width: 96, height: 64 });
    expect(result.stderr).toContain('sampling 8/8');
    const sent = sim.submitted.at(-1) as { prompt: Record<string, { inputs: Record<string, unknown> }> };
    expect(sent.prompt['6']?.inputs['text']).toBe('a "red" fox {{x}}');
  });

  it('uploads --image for img2vid and writes an animation that decodes', async () => {
    const image = join(out, 'input.png');
    await sharp({ create: { width: 32, height: 32, channels: 3, background: 'green' } }).png().toFile(image);
    const result = await runNpmScript('render', ['--template', 'img2vid', '--image', image, '--set', 'frames=3', '--out', out, '--server', sim.url]);
    expect(result.code, result.stderr).toBe(0);
    const gif = await readFile(result.stdout.trim());
    expect(await sharp(gif, { animated: true }).metadata()).toMatchObject({ format: 'gif', pages: 3 });
    const uploaded = [...sim.state.files.keys()].find((key) => key.startsWith('input/render/'));
    expect(sim.state.files.get(uploaded as string)?.equals(await readFile(image))).toBe(true);
  });

  it.each([
    [['--template', 'nope', '--out', '/tmp/x'], 'render failed: unknown template "nope" (available: img2img, img2vid-core, img2vid, inpaint, txt2img, upscale-latent, upscale-model)'],
    [['--template', 'txt2img', '--set', 'prompt=x', '--set', 'steps=0', '--out', '/tmp/x'], 'render failed: steps must be between 1 and 100 (got 0)'],
    [['--template', 'txt2img', '--set', 'oops', '--out', '/tmp/x'], 'render failed: --set oops is not name=value'],
    [['--template', 'img2vid', '--out', '/tmp/x'], 'render failed: template img2vid needs an input image: add --image PATH'],
  ])('refuses %j with one clear line and status 1', async (args, line) => {
    const result = await runNpmScript('render', [...args, '--server', sim.url]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n').at(-1)).toBe(line);
  });

  it('says the server is unreachable in one line', async () => {
    const result = await runNpmScript('render', ['--template', 'txt2img', '--set', 'prompt=x', '--out', '/tmp/x', '--server', 'http://127.0.0.1:9']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('render failed: ComfyUI at http://127.0.0.1:9 is not reachable; check that it is running and that COMFYUI_URL is right');
  });
});
