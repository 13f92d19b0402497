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

/**
 * A job whose token expired, so its result goes to the channel; the post arrives (Discord keeps it) but its answer
 * is held, and the bot is killed not knowing it was posted.
 */
async function killedMidChannelUpload(prompt: string, who: string): Promise<Harness> {
  const harness = await startHarness({ sim: { runMs: 800 } });
  const token = harness.discord.chatInput('imagine', [option('prompt', prompt)], member(who)).token;
  await waitForOriginal(harness.discord, token, (message) => /Queued/.test(message.content), 'the queued reply');
  harness.discord.expiredTokens.add(token);
  harness.discord.fail({ method: 'POST', path: /\/channels\/\d+\/messages/, delayMs: 60_000, minBytes: 0, times: 1 });
  await waitFor(() => harness.discord.channelMessages.find((message) => message.files.length > 0), 'the channel upload', 15_000);
  harness.bot.signal('SIGKILL');
  expect(await harness.bot.exited()).toBeNull();
  return harness;
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

  it('SIGKILL mid-upload of the reply edit, and the token expires meanwhile: the reply is found by its message id, nothing is posted again', async () => {
    h = await startHarness({ sim: { runMs: 800 } });
    const token = h.discord.chatInput('imagine', [option('prompt', 'edited then killed')], member('rex')).token;
    await waitForOriginal(h.discord, token, (message) => /Queued/.test(message.content), 'the queued reply');
    // The edit carrying the result arrives (Discord keeps it) but its answer is held: the bot dies not knowing.
    h.discord.fail({ method: 'PATCH', path: /@original/, delayMs: 60_000, minBytes: 1, times: 1 });
    await waitForOriginal(h.discord, token, (message) => message.files.length > 0, 'the result in the reply');
    h.bot.signal('SIGKILL');
    expect(await h.bot.exited()).toBeNull();
    h.discord.expiredTokens.add(token);

    await h.restartBot();
    await h.bot.waitForLog(/already delivered before the restart/, 20_000);
    expect(h.discord.channelMessages).toHaveLength(0);
  });

  it('SIGKILL mid-upload of a result going to the channel (token expired): after a restart exactly one channel message carries it', async () => {
    h = await killedMidChannelUpload('late and killed', 'pat');

    await h.restartBot();
    await h.bot.waitForLog(/"job delivered"/, 20_000);
    expect(h.discord.channelMessages.filter((message) => message.files.length > 0)).toHaveLength(1);
    expect(h.bot.output).toMatch(/already delivered before the restart/);
  });

  it('SIGKILL mid-upload to the channel, and the channel cannot be read after the restart: the nonce keeps it to one message', async () => {
    h = await killedMidChannelUpload('late, killed, unreadable', 'sam');
    h.discord.fail({ method: 'GET', path: /\/channels\/\d+\/messages/, status: 500, times: 10 });

    await h.restartBot();
    await h.bot.waitForLog(/"job delivered"/, 20_000);
    expect(h.discord.channelMessages.filter((message) => message.files.length > 0)).toHaveLength(1);
    const posts = h.discord.requests.filter((request) => request.method === 'POST' && /\/channels\/\d+\/messages$/.test(request.path));
    expect(posts).toHaveLength(2);
    expect(posts.map((request) => (request.json as { nonce?: unknown }).nonce)).toEqual([expect.any(String), (posts[0]?.json as { nonce?: unknown }).nonce]);
  });

  it('SIGKILL mid-upload of a result going by DM: after a restart exactly one DM carries it', async () => {
    h = await startHarness({ sim: { runMs: 800 } });
    const token = h.discord.chatInput('imagine', [option('prompt', 'private and killed')], member('quinn')).token;
    await waitForOriginal(h.discord, token, (message) => /Queued/.test(message.content), 'the queued reply');
    h.discord.expiredTokens.add(token);
    h.discord.forbiddenChannels.add(h.discord.channelId);
    h.discord.fail({ method: 'POST', path: new RegExp(`/channels/(?!${h.discord.channelId})\\d+/messages`), delayMs: 60_000, minBytes: 0, times: 1 });
    await waitFor(() => h?.discord.channelMessages.find((message) => message.files.length > 0), 'the DM upload', 15_000);
    h.bot.signal('SIGKILL');
    expect(await h.bot.exited()).toBeNull();

    await h.restartBot();
    await h.bot.waitForLog(/"job delivered"/, 20_000);
    const dms = h.discord.channelMessages.filter((message) => message.files.length > 0);
    expect(dms).toHaveLength(1);
    expect(dms[0]?.channelId).not.toBe(h.discord.channelId);
    expect(h.bot.output).toMatch(/already delivered before the restart/);
  });

  it('SIGTERM exits within the grace period and a few seconds even when closing hangs on an upload Discord never answers', async () => {
    h = await startHarness({ env: { SHUTDOWN_GRACE_MS: '500' } });
    h.discord.fail({ method: 'PATCH', path: /@original/, delayMs: 60_000, minBytes: 0, times: 1 });
    const { token } = h.discord.chatInput('imagine', [option('prompt', 'never answered')], member('rae'));
    await h.discord.waitForRequest((request) => request.files.length > 0 && request.path.includes(token), 15_000, 'the upload');
    const started = performance.now();
    h.bot.signal('SIGTERM');
    const code = await Promise.race([h.bot.exited(), new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 12_000))]);
    expect(code).not.toBe('hung');
    expect(performance.now() - started).toBeLessThan(10_000);
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
