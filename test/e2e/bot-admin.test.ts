import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANAGER_PERMISSIONS } from '../fakes/discord/payloads.js';
import { member, option, startHarness, waitForOriginal, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ env: { COMFYUI_TOKEN: 'very-secret-comfy-token' } });
});
afterAll(async () => {
  await h?.stop();
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
});
