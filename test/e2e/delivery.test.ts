import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers.js';
import { member, option, startHarness, waitForOriginal, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

function outputPng(harness: Harness): Buffer {
  return [...harness.sim.state.files.entries()].find(([key]) => key.startsWith('output/') && key.endsWith('.png'))?.[1] as Buffer;
}

describe('delivery', () => {
  it('delivers a job that outlives its interaction token to the channel, mentioning the requester', async () => {
    h = await startHarness({ sim: { runMs: 1_500 } });
    const dana = member('dana');
    const { token } = h.discord.chatInput('imagine', [option('prompt', 'slow fox')], dana);
    await waitForOriginal(h.discord, token, (message) => message.content.includes('Queued'), 'the queued reply');
    h.discord.expiredTokens.add(token);
    const message = await waitFor(() => h?.discord.channelMessages.find((posted) => posted.files.length > 0), 'the channel post', 15_000);
    expect(message.content).toContain(`<@${dana.id}>`);
    expect(message.files[0]?.equals(outputPng(h))).toBe(true);
    const post = h.discord.requests.find((request) => request.path.endsWith(`/channels/${h?.discord.channelId}/messages`));
    expect(post?.auth).toBe(`Bot ${h.discord.validToken}`);
    expect((post?.json as { allowed_mentions: unknown }).allowed_mentions).toEqual({ parse: [], users: [dana.id] });
  });

  it('fits an output larger than the interaction\'s upload limit under it', async () => {
    h = await startHarness({ sim: { imageWidth: 400, imageHeight: 400 }, attachmentSizeLimit: 100_000 });
    const { token } = h.discord.chatInput('imagine', [option('prompt', 'big noise')], member('eve'));
    const done = await waitForOriginal(h.discord, token, (message) => message.files.length > 0, 'the picture');
    expect(outputPng(h).length).toBeGreaterThan(400_000);
    const file = done.files[0] as Buffer;
    expect(file.length).toBeLessThanOrEqual(100_000);
    expect((await sharp(file).metadata()).format).toBe('jpeg');
    expect(JSON.stringify(done.embeds)).toContain('Shrunk to fit the upload limit');
  });

  it('still delivers when Discord answers 429 with Retry-After', async () => {
    h = await startHarness();
    h.discord.fail({ method: 'PATCH', path: /messages\/@original/, status: 429, body: { message: 'You are being rate limited.', retry_after: 0.2, global: false }, headers: { 'retry-after': '0.2' } });
    const { token } = h.discord.chatInput('imagine', [option('prompt', 'patient fox')], member('fay'));
    const done = await waitForOriginal(h.discord, token, (message) => message.files.length > 0, 'the picture');
    expect(done.files[0]?.equals(outputPng(h))).toBe(true);
    expect(h.discord.requests.some((request) => request.status === 429)).toBe(true);
  });

  it('tells the member which node failed and why', async () => {
    h = await startHarness();
    h.sim.faults.failNode = { classType: 'VAEDecode', exceptionType: 'RuntimeError', message: 'Given groups=1, weight of size [4, 4, 1, 1], expected input to have 4 channels' };
    const { token } = h.discord.chatInput('imagine', [option('prompt', 'doomed')], member('gus'));
    const reply = await waitForOriginal(h.discord, token, (message) => message.content.includes('failed'), 'the failure');
    expect(reply.content).toMatch(/^Job `\w+` failed in VAEDecode: Given groups=1, weight of size \[4, 4, 1, 1\], expected input to have 4 channels$/);
  });

  it('says so plainly when the GPU runs out of memory', async () => {
    h = await startHarness();
    h.sim.faults.failNode = { classType: 'KSampler', exceptionType: 'torch.OutOfMemoryError', message: 'CUDA out of memory. Tried to allocate 20.00 GiB' };
    const { token } = h.discord.chatInput('imagine', [option('prompt', 'huge')], member('hal'));
    const reply = await waitForOriginal(h.discord, token, (message) => message.content.includes('memory'), 'the failure');
    expect(reply.content).toMatch(/^The GPU ran out of memory on job `\w+` \(KSampler\)\. Try a smaller size or fewer frames\.$/);
  });
});
