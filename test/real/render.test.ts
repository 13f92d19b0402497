import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { REST } from 'discord.js';
import { commands } from '../../src/commands/index.js';
import { registerCommands } from '../../src/discord/register.js';
import { FakeDiscord } from '../fakes/discord/fake-discord.js';
import { runNpmScript } from '../run-script.js';
import { REAL_TEMPLATES } from './harness.js';

/** `npm run render` and `npm run doctor` against the real ComfyUI, exactly as an admin runs them. */
const url = inject('comfyUrl');
let out: string;
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'render-real-'));
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

const render = (args: string[]) => runNpmScript('render', [...args, '--out', out, '--server', url, '--templates', REAL_TEMPLATES], {}, 60_000);

describe('npm run render on the real ComfyUI', () => {
  it('renders a model-free txt2img stand-in and sends the prompt byte for byte', async () => {
    const result = await render(['--template', 'real-imagine', '--set', 'prompt=a "red" fox {{x}}\nline two 🦊', '--set', 'seed=7', '--set', 'width=80']);
    expect(result.code, result.stderr).toBe(0);
    const bytes = await readFile(result.stdout.trim().split('\n')[0] as string);
    expect(await sharp(bytes).metadata()).toMatchObject({ format: 'png', width: 80, height: 48 });
    expect(result.stderr).toContain('"prompt":"a \\"red\\" fox {{x}}\\nline two 🦊"');
  });

  it('uploads --image and writes the animated WebP the real SaveAnimatedWEBP made', async () => {
    const image = join(out, 'still.png');
    await sharp({ create: { width: 24, height: 16, channels: 3, background: 'teal' } }).png().toFile(image);
    const result = await render(['--template', 'real-img2vid', '--image', image, '--set', 'frames=3']);
    expect(result.code, result.stderr).toBe(0);
    const webp = await readFile(result.stdout.trim());
    expect(await sharp(webp, { animated: true }).metadata()).toMatchObject({ format: 'webp', pages: 3, width: 24 });
  });

  it('says why when the real server refuses part of the workflow (a 200 with node_errors) and exits 1', async () => {
    const result = await render(['--template', 'real-partial', '--set', 'prompt=hello']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('warning: ComfyUI skipped part of the workflow: the input image no-such-file-on-server.png is not on the server (upload it first)');
    expect(result.stderr).toContain('render failed: ComfyUI refused the part of the workflow that makes files: the input image no-such-file-on-server.png is not on the server (upload it first)');
  });

  it('names the missing custom nodes and models of the shipped templates', async () => {
    const vhs = await render(['--template', 'img2vid', '--set', 'frames=2']);
    expect(vhs.code).toBe(1);
    expect(vhs.stderr).toContain('node type VHS_VideoCombine is not installed — it comes from the ComfyUI-VideoHelperSuite custom nodes');
    const checkpoint = await render(['--template', 'txt2img', '--set', 'prompt=x']);
    expect(checkpoint.code).toBe(1);
    expect(checkpoint.stderr).toContain('the server has no checkpoint to offer for ckpt_name');
  });

  it('reports a node failing at run time in one line', async () => {
    const result = await render(['--template', 'real-fails', '--set', 'prompt=x']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/render failed: node 2 \(SaveImage\) failed: .*Saving image outside the output folder is not allowed/);
  });

  it('doctor lists the real server and which templates fit it', async () => {
    const result = await runNpmScript('doctor', [], { COMFYUI_URL: url, TEMPLATES_DIR: REAL_TEMPLATES, DATA_DIR: join(out, 'doctor-data') }, 60_000);
    expect(result.stdout).toContain(`✔ ${url}: ComfyUI 0.3.65 on cpu`);
    expect(result.stdout).toContain('✔ real-imagine fits this server');
    expect(result.stdout).toMatch(/^✔ data folder .* is writable$/m);
    expect(result.stdout).toMatch(/^✔ the job ledger opens \(\d+ unfinished jobs?\)$/m);
    expect(result.stdout).toMatch(/^[✔!] [\d.]+ GiB free on the data folder's disk$/m);
    // v0.3.65 ignores extra_data.preview_method; the contract server is started without --preview-method.
    expect(result.stdout).toMatch(/^! previews: ComfyUI 0\.3\.65 does not take the bot's per-prompt request .* --preview-method auto/m);
    expect(result.stdout).toMatch(/! img2vid cannot run on this server:\n\s+- node type VHS_VideoCombine is not installed/);
    expect(result.stdout).toContain('✘ config: DISCORD_TOKEN is missing');
    expect(result.stdout).toMatch(/! default \/imagine template: real-fails \("txt2img" cannot run: the server has no checkpoint to offer for ckpt_name; using real-fails instead\)/);
    expect(result.stdout).toMatch(/! default \/img2vid template: real-img2vid \("img2vid" cannot run: node type VHS_VideoCombine is not installed/);
    expect(result.code).toBe(1);
  });

  it('doctor passes against the real ComfyUI and a Discord that is set up right', async () => {
    const discord = await new FakeDiscord().start();
    try {
      const data = join(out, 'doctor-green');
      await registerCommands(new REST({ api: discord.apiUrl }).setToken(discord.validToken), discord.appId, discord.guildId, commands, data);
      const result = await runNpmScript('doctor', [], {
        COMFYUI_URL: url, TEMPLATES_DIR: REAL_TEMPLATES, DATA_DIR: data, DISCORD_TOKEN: discord.validToken, DISCORD_APP_ID: discord.appId,
        DISCORD_GUILD_ID: discord.guildId, DISCORD_API_URL: discord.apiUrl,
      }, 60_000);
      expect(result.stdout).toContain(`✔ all ${commands.length} commands are registered in server ${discord.guildId} and current`);
      expect(result.stdout).toContain(`✔ ${url}: ComfyUI 0.3.65 on cpu`);
      // The shipped templates need models this server lacks; the real-* stand-ins run every kind of job.
      expect(result.stdout).toMatch(/^! default \/imagine template: real-/m);
      expect(result.stdout).not.toContain('✘');
      expect(result.code, result.stdout).toBe(0);
    } finally {
      await discord.stop();
    }
  });

  it('template import reads the workflow the real ComfyUI saved in its PNG, and checks it against that server', async () => {
    const rendered = await render(['--template', 'real-imagine', '--set', 'prompt=a fox from the real server', '--set', 'seed=77']);
    expect(rendered.code, rendered.stderr).toBe(0);
    const png = rendered.stdout.trim().split('\n')[0] as string;
    const saved = join(out, 'imported');
    const result = await runNpmScript('template', ['import', png, '--name', 'from-real', '--out', saved], { COMFYUI_URL: url }, 60_000);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('from-real: a /imagine template');
    expect(result.stdout).toContain(`✔ fits ${url}`);
    const template = JSON.parse(await readFile(join(saved, 'from-real.json'), 'utf8')) as { workflow: Record<string, { class_type: string; inputs: Record<string, unknown> }> };
    // The API-format prompt ComfyUI wrote into the PNG, with the values this job ran with.
    expect(template.workflow['10']?.inputs['value']).toBe('a fox from the real server');
    expect(template.workflow['2']).toMatchObject({ class_type: 'ImageAddNoise', inputs: { seed: 77 } });
  });

  it('doctor says when the data folder cannot be written, and fails', async () => {
    // A path under a plain file: no folder can be made there, even by root.
    const blocker = join(out, 'a-file');
    await writeFile(blocker, 'not a folder');
    const result = await runNpmScript('doctor', [], { COMFYUI_URL: url, TEMPLATES_DIR: REAL_TEMPLATES, DATA_DIR: join(blocker, 'data') }, 60_000);
    expect(result.stdout).toMatch(/^✘ data folder .*a-file\/data is not writable \(.*\); set DATA_DIR to a folder the bot may write$/m);
    expect(result.code).toBe(1);
  });
});
