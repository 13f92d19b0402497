import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers.js';
import { member, option, startHarness, waitForOriginal, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

function uploadsOf(harness: Harness, token: string) {
  return harness.discord.requests.filter((request) => request.path.includes(token) && request.files.length > 0);
}

describe('restart survival', () => {
  it('SIGKILL with jobs waiting, pending in ComfyUI, running and mid-upload: after a restart each is delivered exactly once', async () => {
    h = await startHarness({ sim: { runMs: 700 }, env: { COMFYUI_MAX_IN_FLIGHT: '2', COMFYUI_POLL_MS: '300' } });
    // The first result's upload reaches Discord but its answer is held back: the bot dies mid-delivery.
    h.discord.fail({ method: 'PATCH', path: /@original/, delayMs: 60_000, minBytes: 0, times: 1 });
    const prompts = ['first', 'second', 'third', 'fourth', 'fifth'];
    const tokens: string[] = [];
    for (const prompt of prompts) {
      const { token } = h.discord.chatInput('imagine', [option('prompt', prompt)], member(prompt));
      await waitForOriginal(h.discord, token, (message) => /Queued/.test(message.content), `${prompt} to be queued`);
      tokens.push(token);
    }
    await h.discord.waitForRequest((request) => request.files.length > 0, 15_000, 'the first upload');
    // The upload's answer is held, so the first job stays mid-delivery while its slot goes to the third prompt.
    await waitFor(() => (h?.sim.submitted.length ?? 0) >= 3, 'the third prompt to be sent to ComfyUI');
    const states = { running: h.sim.state.running?.promptId, pending: h.sim.state.pending.map((entry) => entry.promptId) };
    expect(states.running).toBeDefined();
    expect(states.pending.length + h.sim.submitted.length).toBeGreaterThanOrEqual(3);
    expect(h.sim.submitted.length).toBeLessThan(5);
    h.bot.signal('SIGKILL');
    expect(await h.bot.exited()).toBeNull();

    await h.restartBot();
    for (const token of tokens) await waitForOriginal(h.discord, token, (message) => message.files.length > 0, 'every job', 30_000);
    for (const token of tokens) {
      expect(uploadsOf(h, token)).toHaveLength(1);
      // Nothing edited a delivered message afterwards.
      const edits = h.discord.requests.filter((request) => request.path.includes(token) && request.method === 'PATCH');
      expect(edits.at(-1)?.files.length).toBe(1);
    }
    const submitted = h.sim.submitted.map((body) => (body as { prompt: Record<string, { inputs: Record<string, unknown> }> }).prompt['6']?.inputs['text']);
    expect([...submitted].sort()).toEqual([...prompts].sort());
    expect(h.bot.output).toMatch(/picking up jobs from before the restart/);
  });

  it('SIGTERM refuses new jobs, finishes the delivery in flight, and exits cleanly', async () => {
    h = await startHarness({ env: { SHUTDOWN_GRACE_MS: '10000' } });
    h.discord.fail({ method: 'PATCH', path: /@original/, delayMs: 1_000, minBytes: 0, times: 1 });
    const { token } = h.discord.chatInput('imagine', [option('prompt', 'last one out')], member('ned'));
    await h.discord.waitForRequest((request) => request.files.length > 0 && request.path.includes(token), 15_000, 'the upload');
    h.bot.signal('SIGTERM');
    await h.bot.waitForLog(/shutting down/);
    const late = h.discord.chatInput('imagine', [option('prompt', 'too late')], member('ola'));
    const refused = await waitForOriginal(h.discord, late.token, (message) => message.content !== '', 'the refusal');
    expect(refused.content).toBe('The bot is restarting; please try again in a minute.');
    expect(await h.bot.exited()).toBe(0);
    expect(h.bot.output).toMatch(/"job delivered"/);
    await waitFor(() => h?.discord.originals.get(token)?.files.length, 'the delivered file');
  });
});
