import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers.js';
import { member, option, startHarness, waitForOriginal, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

function texts(sim: Harness['sim']): string[] {
  return sim.submitted.map((body) => String((body as { prompt: Record<string, { inputs: Record<string, unknown> }> }).prompt['6']?.inputs['text']));
}

describe('pipelining', () => {
  it('queues the next prompt in ComfyUI before the current one finishes, so the GPU never waits', async () => {
    h = await startHarness({ sim: { runMs: 300 } });
    const tokens = ['p1', 'p2', 'p3'].map((prompt) => h?.discord.chatInput('imagine', [option('prompt', prompt)], member(prompt)).token as string);
    for (const token of tokens) await waitForOriginal(h.discord, token, (message) => message.files.length > 0, 'the picture');
    const records = [...h.sim.prompts.values()].sort((a, b) => (a.startedAt ?? 0) - (b.startedAt ?? 0));
    for (let i = 1; i < records.length; i++) {
      expect(records[i]?.queuedAt).toBeLessThan(records[i - 1]?.finishedAt as number);
      expect((records[i]?.startedAt as number) - (records[i - 1]?.finishedAt as number)).toBeLessThan(20);
    }
  });
});

describe('a pool of ComfyUI servers', () => {
  it('routes each job to a server that has the model it asks for', async () => {
    h = await startHarness({ sims: [{ checkpoints: ['anime.safetensors'] }, { checkpoints: ['photo.safetensors'] }] });
    const photo = h.discord.chatInput('imagine', [option('prompt', 'a photo'), option('checkpoint', 'photo.safetensors')], member('pia')).token;
    const anime = h.discord.chatInput('imagine', [option('prompt', 'an anime'), option('checkpoint', 'anime.safetensors')], member('ani')).token;
    await waitForOriginal(h.discord, photo, (message) => message.files.length > 0, 'the photo');
    await waitForOriginal(h.discord, anime, (message) => message.files.length > 0, 'the anime');
    expect(texts(h.sims[0] as Harness['sim'])).toEqual(['an anime']);
    expect(texts(h.sims[1] as Harness['sim'])).toEqual(['a photo']);
  });

  it('spreads a backlog over the servers and names each server in /queue by its label, never its address', async () => {
    h = await startHarness({ sims: [{ runMs: 5_000 }, { runMs: 5_000 }], env: { COMFYUI_MAX_IN_FLIGHT: '1' } });
    for (const prompt of ['s1', 's2', 's3']) h.discord.chatInput('imagine', [option('prompt', prompt)], member(prompt));
    await waitFor(() => h?.sims.every((sim) => sim.state.running), 'both servers busy');
    const { token } = h.discord.chatInput('queue', [], member('q'));
    const text = (await waitForOriginal(h.discord, token, (message) => message.content !== '', '/queue')).content;
    for (const label of ['server 1', 'server 2']) expect(text).toContain(`on ${label}`);
    for (const sim of h.sims) expect(text).not.toContain(new URL(sim.url).host);
    expect(text).toContain('Waiting, in the order they will run');
  });

  it('loses no job when a server goes down mid-backlog', async () => {
    h = await startHarness({ sims: [{ runMs: 300 }, { runMs: 300 }], env: { COMFYUI_MOVE_AFTER_MS: '500', COMFYUI_RETRY_MS: '100', COMFYUI_POLL_MS: '300' } });
    const prompts = ['d1', 'd2', 'd3', 'd4', 'd5', 'd6'];
    const tokens = prompts.map((prompt) => h?.discord.chatInput('imagine', [option('prompt', prompt)], member(prompt)).token as string);
    await waitFor(() => h?.sims.every((sim) => sim.state.running), 'both servers busy');
    await (h.sims[0] as Harness['sim']).goDown();
    for (const token of tokens) await waitForOriginal(h.discord, token, (message) => message.files.length > 0, 'every picture', 20_000);
    for (const token of tokens) expect(h.discord.requests.filter((request) => request.path.includes(token) && request.files.length > 0)).toHaveLength(1);
    expect(texts(h.sims[1] as Harness['sim']).length).toBeGreaterThanOrEqual(3);
  });
});
