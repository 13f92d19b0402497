import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers.js';
import { member, option, startHarness, waitForOriginal, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

function imagine(harness: Harness, prompt: string, user = member('m')) {
  return harness.discord.chatInput('imagine', [option('prompt', prompt)], user).token;
}

describe('Discord faults', () => {
  it('retries past Discord 5xx answers to the final upload', async () => {
    h = await startHarness({ env: { COMFYUI_POLL_MS: '300' } });
    h.discord.fail({ method: 'PATCH', path: /@original/, status: 502, body: { message: 'Bad Gateway', code: 0 }, times: 6, minBytes: 0 });
    const token = imagine(h, 'through 502s');
    const done = await waitForOriginal(h.discord, token, (message) => message.files.length > 0, 'the picture', 20_000);
    expect(done.files).toHaveLength(1);
    expect(h.discord.requests.filter((request) => request.status === 502).length).toBe(6);
  });

  it('sends the result by DM when the token expired and the bot may not post in the channel', async () => {
    h = await startHarness({ sim: { runMs: 800 } });
    const kim = member('kim');
    const token = imagine(h, 'private delivery', kim);
    await waitForOriginal(h.discord, token, (message) => message.content.includes('Queued'), 'the queued reply');
    h.discord.expiredTokens.add(token);
    h.discord.forbiddenChannels.add(h.discord.channelId);
    const dm = await h.discord.waitForRequest((request) => request.method === 'POST' && request.path.endsWith('/users/@me/channels'), 15_000, 'a DM channel');
    expect(dm.json).toEqual({ recipient_id: kim.id });
    const sent = await waitFor(() => h?.discord.channelMessages.find((message) => message.channelId !== h?.discord.channelId && message.files.length > 0), 'the DM');
    expect(sent.content).toContain(`<@${kim.id}>`);
  });

  it('posts to the channel when the reply was deleted while the job ran', async () => {
    h = await startHarness({ sim: { runMs: 800 } });
    const lee = member('lee');
    const token = imagine(h, 'orphaned', lee);
    await waitForOriginal(h.discord, token, (message) => message.content.includes('Queued'), 'the queued reply');
    h.discord.deletedOriginals.add(token);
    const posted = await waitFor(() => h?.discord.channelMessages.find((message) => message.files.length > 0), 'the channel post', 15_000);
    expect(posted.content).toMatch(new RegExp(`^<@${lee.id}> your job \`\\w+\` is done; its original reply was deleted, so here it is\\.`));
  });

  it('shrinks harder when Discord rejects the upload as too large', async () => {
    h = await startHarness({ sim: { imageWidth: 320, imageHeight: 320 } });
    h.discord.fail({ method: 'PATCH', path: /@original/, status: 413, body: { message: 'Request entity too large', code: 40005 }, times: 20, minBytes: 120_000 });
    const token = imagine(h, 'too big for this server');
    const done = await waitForOriginal(h.discord, token, (message) => message.files.length > 0, 'the picture', 20_000);
    expect(done.files[0]?.length).toBeLessThanOrEqual(120_000);
    expect((await sharp(done.files[0] as Buffer).metadata()).format).toBe('jpeg');
  });

  it('keeps working when Discord rate-limits the whole bot (global 429)', async () => {
    h = await startHarness();
    // Only the result's upload is refused (twice): without 429 handling it would fail; retried at once, it would
    // come before Retry-After.
    h.discord.fail({ path: /\/webhooks\//, status: 429, minBytes: 1, body: { message: 'You are being rate limited.', retry_after: 0.3, global: true }, headers: { 'retry-after': '0.3', 'x-ratelimit-global': 'true', 'x-ratelimit-scope': 'global' }, times: 2 });
    const token = imagine(h, 'rate limited');
    await waitForOriginal(h.discord, token, (message) => message.files.length > 0, 'the picture');
    const uploads = h.discord.requests.filter((request) => request.path.includes(token) && request.files.length > 0);
    expect(uploads.map((request) => request.status)).toEqual([429, 429, 200]);
    for (let index = 1; index < uploads.length; index++) expect((uploads[index]?.at as number) - (uploads[index - 1]?.at as number)).toBeGreaterThanOrEqual(290);
  });
});
