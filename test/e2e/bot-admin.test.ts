import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANAGER_PERMISSIONS } from '../fakes/discord/payloads.js';
import { member, option, startHarness, waitForOriginal, type Harness } from './harness.js';

let h: Harness;
let templatesDir: string;
beforeAll(async () => {
  templatesDir = await mkdtemp(join(tmpdir(), 'bot-templates-'));
  h = await startHarness({ env: { COMFYUI_TOKEN: 'very-secret-comfy-token', TEMPLATES_DIR: templatesDir } });
});
afterAll(async () => {
  await h?.stop();
  await rm(templatesDir, { recursive: true, force: true });
});

const boss = member('boss', { permissions: MANAGER_PERMISSIONS });
const ann = member('ann');

async function botCommand(user: typeof ann, sub: string): Promise<{ content: string; flags: number }> {
  const { token } = h.discord.chatInput('bot', [{ name: sub, type: 1, value: undefined }], user);
  const message = await waitForOriginal(h.discord, token, (reply) => reply.content !== '', `/bot ${sub}`);
  return { content: message.content, flags: message.flags };
}

describe('/bot for admins', () => {
  it('refuses members without Manage Server, privately', async () => {
    expect(await botCommand(ann, 'settings')).toEqual({ content: 'Only members with Manage Server (or the admin role) may do that.', flags: 64 });
  });

  it('settings: the effective values, secrets hidden, servers by label only', async () => {
    const { content, flags } = await botCommand(boss, 'settings');
    expect(flags).toBe(64);
    expect(content).toContain('DISCORD_TOKEN=(set, hidden)');
    expect(content).toContain('COMFYUI_TOKEN=(set, hidden)');
    expect(content).toContain('COMFYUI_URL=server 1');
    expect(content).toContain('COOLDOWN_SECONDS=0');
    expect(content).not.toContain('very-secret-comfy-token');
    expect(content).not.toContain(h.discord.validToken);
    expect(content).not.toContain(h.sim.url);
  });

  it('pause keeps accepting jobs without sending them, and says so; resume sends them', async () => {
    expect((await botCommand(boss, 'pause')).content).toBe('Paused: new jobs still queue, and none is sent to ComfyUI until /bot resume.');
    const { token } = h.discord.chatInput('imagine', [option('prompt', 'while paused')], ann);
    const queued = await waitForOriginal(h.discord, token, (reply) => reply.content !== '', 'the queued answer');
    expect(queued.content).toMatch(/^Queued as job `\w+` — #1 in line\. An admin has paused the queue; it goes on when they resume it\.$/);
    expect(h.sim.submitted).toHaveLength(0);
    expect((await botCommand(boss, 'resume')).content).toBe('Resumed: queued jobs go to ComfyUI again.');
    await waitForOriginal(h.discord, token, (reply) => reply.files.length > 0, 'the result after resuming');
    expect((await botCommand(boss, 'resume')).content).toBe('The queue was not paused.');
  });

  it('templates: each with its command and whether it can run, and what is missing', async () => {
    const lines = (await botCommand(boss, 'templates')).content.split('\n');
    expect(lines).toContain('✔ `txt2img` (/imagine)');
    expect(lines.find((line) => line.startsWith('✘ `upscale-model`'))).toMatch(/UpscaleModelLoader/);
  });

  it('template-add: shows what it found, saves on the admin\'s Save, and the template works at once', async () => {
    const workflow = (JSON.parse(await readFile(new URL('../../workflows/txt2img.json', import.meta.url), 'utf8')) as { workflow: unknown }).workflow;
    const file = h.discord.addAttachment('my flow.json', Buffer.from(JSON.stringify(workflow)), 'application/json');
    const add = h.discord.chatInput('bot', [{ name: 'template-add', type: 1, value: undefined, options: [{ name: 'file', type: 11, value: file.id }, { name: 'name', type: 3, value: 'my-flow' }] }], boss, { attachments: [file] });
    const shown = await waitForOriginal(h.discord, add.token, (reply) => reply.components.length > 0, 'what the import found');
    expect(shown.content).toMatch(/^Template `my-flow` \(\/imagine\) from this file:\n• prompt: the text feeding the sampler's positive \(node 6 text\)/);
    expect(shown.content).toMatch(/A server here can run it\.$/);
    const saveId = (shown.components as Array<{ components: Array<{ custom_id: string }> }>)[0]?.components[0]?.custom_id as string;
    const stranger = h.discord.press(shown, saveId, ann);
    expect((await waitForOriginal(h.discord, stranger.token, (reply) => reply.content !== '', 'the refusal')).content).toBe('Only members with Manage Server (or the admin role) may do that.');
    const saved = h.discord.press(shown, saveId, boss);
    expect((await waitForOriginal(h.discord, saved.token, (reply) => reply.content !== '', 'the save')).content).toBe('Saved `my-flow`; it can be used now.');
    expect(JSON.parse(await readFile(join(templatesDir, 'my-flow.json'), 'utf8'))).toMatchObject({ name: 'my-flow', command: 'imagine' });
    const { token } = h.discord.chatInput('imagine', [option('prompt', 'from the imported template'), option('template', 'my-flow')], ann);
    const done = await waitForOriginal(h.discord, token, (reply) => reply.files.length > 0, 'a job on the imported template');
    expect((done.embeds[0] as { footer: { text: string } }).footer.text).toMatch(/^my-flow · job /);
  });

  it('template-add refuses the editor\'s UI format with how to export the API format', async () => {
    const file = h.discord.addAttachment('ui.json', Buffer.from(JSON.stringify({ nodes: [], links: [] })), 'application/json');
    const add = h.discord.chatInput('bot', [{ name: 'template-add', type: 1, value: undefined, options: [{ name: 'file', type: 11, value: file.id }] }], boss, { attachments: [file] });
    const refused = await waitForOriginal(h.discord, add.token, (reply) => reply.content !== '', 'the refusal');
    expect(refused.content).toMatch(/^That workflow cannot become a template: This is the ComfyUI editor's own workflow format .*Export \(API\)/);
  });
});
