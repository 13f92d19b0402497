import { writeFileSync } from 'node:fs';
import { mkdir, readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANAGER_PERMISSIONS } from '../fakes/discord/payloads.js';
import { member, option, queueImagine, startHarness, waitForOriginal, type Harness } from './harness.js';

/** config.yaml as an admin uses it: per-channel defaults, a change picked up without a restart, a mistake refused. */
let h: Harness;
let dir: string;
let file: string;
let templatesDir: string;
let channelId: string;
const channelSection = () => `channels:\n  ${channelId}:\n    steps: 7\n    size: "16:9"\n    negative_prefix: lowres\n    spoiler: true\n`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bot-config-'));
  file = join(dir, 'config.yaml');
  templatesDir = join(dir, 'templates');
  await mkdir(templatesDir);
  h = await startHarness({
    // Long enough runs for live previews, which a spoiler channel must hide too.
    sim: { runMs: 1_500, steps: 10, perPromptPreviews: true },
    envFrom: (discord) => {
      channelId = discord.channelId;
      writeFileSync(file, `# the admin's file\nlimits:\n  jobs_per_hour: 100\n${channelSection()}`);
      // The environment wins over the file: an admin's old .env line, say.
      return { CONFIG_FILE: file, TEMPLATES_DIR: templatesDir, GUILD_MAX_WAITING: '0' };
    },
  });
});
afterAll(async () => {
  await h?.stop();
  await rm(dir, { recursive: true, force: true });
});

const ann = member('ann');
const boss = member('boss', { permissions: MANAGER_PERMISSIONS });

function lastPrompt(): Record<string, { class_type: string; inputs: Record<string, unknown> }> {
  return h.sim.submitted.at(-1)?.['prompt'] as Record<string, { class_type: string; inputs: Record<string, unknown> }>;
}

async function reloadCommand(): Promise<string> {
  const { token } = h.discord.chatInput('bot', [{ name: 'reload', type: 1, value: undefined }], boss);
  return (await waitForOriginal(h.discord, token, (reply) => reply.content !== '', '/bot reload')).content;
}

async function refusal(prompt: string): Promise<string> {
  const { token } = h.discord.chatInput('imagine', [option('prompt', prompt)], ann);
  return (await waitForOriginal(h.discord, token, (reply) => reply.content !== '', 'the answer')).content;
}

describe('config.yaml', () => {
  it('applies the channel\'s defaults: steps, size, negative prefix, and results behind a spoiler', async () => {
    const { token } = await queueImagine(h.discord, ann, 'a fox in the snow');
    const result = await waitForOriginal(h.discord, token, (reply) => reply.files.length > 0, 'the result');
    const prompt = lastPrompt();
    expect(prompt['3']?.inputs['steps']).toBe(7);
    expect([prompt['5']?.inputs['width'], prompt['5']?.inputs['height']]).toEqual([1344, 768]);
    expect(prompt['7']?.inputs['text']).toBe('lowres');
    expect(result.attachments.map((attachment) => attachment.filename).every((name) => name.startsWith('SPOILER_'))).toBe(true);
    const uploaded = h.discord.requests.filter((request) => request.path.includes(token)).flatMap((request) => request.files.map((each) => each.filename));
    expect(uploaded).toContain('SPOILER_preview.jpg');
    expect(uploaded.every((name) => name.startsWith('SPOILER_'))).toBe(true);
  });

  it('/bot settings names the file and the channel defaults in effect', async () => {
    const { token } = h.discord.chatInput('bot', [{ name: 'settings', type: 1, value: undefined }], boss);
    const content = (await waitForOriginal(h.discord, token, (reply) => reply.content !== '', '/bot settings')).content;
    expect(content).toContain(`CONFIG_FILE=${file}`);
    expect(content).toContain('JOBS_PER_HOUR=100');
    expect(content).toContain(`channels=${channelId} (size=16:9, steps=7, negative_prefix=lowres, spoiler=true)`);
  });

  it('lets what the member gives win over the channel\'s defaults', async () => {
    const { token } = await queueImagine(h.discord, ann, 'a fox', [option('steps', 20), option('negative', 'text')]);
    await waitForOriginal(h.discord, token, (reply) => reply.files.length > 0, 'the result');
    expect(lastPrompt()['3']?.inputs['steps']).toBe(20);
    expect(lastPrompt()['7']?.inputs['text']).toBe('lowres, text');
  });

  it('picks up a change to the file without a restart, and refuses a broken one, keeping the old', async () => {
    await writeFile(file, `limits:\n  jobs_per_hour: 100\nbanned_words: [dragon]\n${channelSection()}`);
    await h.bot.waitForLog(/settings reloaded/, 10_000);
    expect(await refusal('a red dragon')).toBe('That prompt contains a word this server does not allow ("dragon"). Please rephrase it.');

    await writeFile(file, `limits:\n  jobs_per_hour: -5\n${channelSection()}`);
    await h.bot.waitForLog(/the new settings were refused; the old ones are kept/, 10_000);
    expect(h.bot.output).toContain(`${file}:2: limits.jobs_per_hour must be at least 0`);
    expect(await refusal('a red dragon')).toContain('does not allow ("dragon")');
    expect(await reloadCommand()).toBe(`The new settings were refused; the old ones are still in use. Fix this and reload again:\n• ${file}:2: limits.jobs_per_hour must be at least 0`);
  });

  it('keeps the old settings when the file disappears or is emptied, instead of opening everything up to defaults', async () => {
    await rm(file);
    await h.bot.waitForLog(/is gone \(the running settings came from it\)/, 10_000);
    expect(await refusal('a red dragon')).toContain('does not allow ("dragon")');
    await writeFile(file, '');
    expect(await reloadCommand()).toBe(`The new settings were refused; the old ones are still in use. Fix this and reload again:\n• ${file} is empty; to go back to every default on purpose, leave a comment line in it (# defaults)`);
    expect(await refusal('a red dragon')).toContain('does not allow ("dragon")');
  });

  it('new templates join at once, and /bot reload names settings that need a restart', async () => {
    await writeFile(file, `comfyui:\n  timeout_ms: 12345\nlimits:\n  guild_max_waiting: 50\n${channelSection()}`);
    const extra = JSON.parse(await readFile(new URL('../../workflows/upscale-latent.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    await writeFile(join(templatesDir, 'extra.json'), JSON.stringify({ ...extra, name: 'extra' }));
    // The watcher reloads on its own; /bot reload after it finds nothing new but still names what waits for a restart.
    await h.bot.waitForLog(/"changed":\[[^\]]*"templates"\]/, 10_000);
    expect(await refusal('a red dragon')).not.toContain('does not allow');
    expect(await reloadCommand()).toBe([
      'Reloaded config.yaml and the templates: nothing changed.',
      'Changed, but used only after a restart: COMFYUI_TIMEOUT_MS.',
      'Set in the environment (or .env), which wins over config.yaml: limits.guild_max_waiting (GUILD_MAX_WAITING).',
    ].join('\n'));
    const { token } = h.discord.chatInput('bot', [{ name: 'templates', type: 1, value: undefined }], boss);
    expect((await waitForOriginal(h.discord, token, (reply) => reply.content !== '', '/bot templates')).content).toContain('✔ `extra` (/upscale)');
  });
});
