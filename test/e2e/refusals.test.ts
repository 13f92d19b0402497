import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedRequest } from '../fakes/discord/fake-discord.js';
import { waitFor } from '../helpers.js';
import { member, option, startHarness, waitForOriginal, type Harness } from './harness.js';

/** Refusals are private (ephemeral), decided before any public reply, and echo member text harmlessly. */

const SLOW_MS = 2_500;
let h: Harness;
let slow: Server;
let slowUrl: string;
let still: Buffer;

beforeAll(async () => {
  // A host that takes longer than Discord's 3-second answer window to serve an attachment.
  slow = createServer((_request, response) => setTimeout(() => response.end('not an image at all'), SLOW_MS));
  await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
  const { port } = slow.address() as AddressInfo;
  slowUrl = `http://127.0.0.1:${port}/attachments/1/2/slow.png`;
  h = await startHarness({
    env: { COOLDOWN_SECONDS: '60', JOBS_PER_HOUR: '0' },
    envFrom: (discord) => ({ DISCORD_ATTACHMENT_HOSTS: `${new URL(discord.url).host},127.0.0.1:${port}` }),
  });
  still = await sharp({ create: { width: 24, height: 24, channels: 3, background: '#246' } }).png().toBuffer();
});
afterAll(async () => {
  await h?.stop();
  slow?.closeAllConnections();
  await new Promise((resolve) => slow?.close(resolve));
});

function callbackOf(token: string): RecordedRequest | undefined {
  return h.discord.requests.find((request) => request.path.includes(token) && request.path.endsWith('/callback'));
}

/** The interaction's first answer: its text, and whether only the member could see it. */
async function answer(token: string): Promise<{ content: string; ephemeral: boolean }> {
  const message = await waitForOriginal(h.discord, token, (reply) => reply.content !== '', 'an answer');
  const flags = (callbackOf(token)?.json as { data?: { flags?: number } }).data?.flags ?? 0;
  return { content: message.content, ephemeral: (flags & 64) !== 0 };
}

function img2vid(user: ReturnType<typeof member>, attachment: ReturnType<Harness['discord']['addAttachment']>): string {
  return h.discord.chatInput('img2vid', [{ name: 'image', type: 11, value: attachment.id }, option('frames', 2)], user, { attachments: [attachment] }).token;
}

describe('refusals are private', () => {
  it('answers a refused /imagine with an ephemeral reply, never a public deferred one', async () => {
    const { token } = h.discord.chatInput('imagine', [option('prompt', 'x'), option('template', 'nope')], member('ann'));
    expect(await answer(token)).toEqual({ content: 'There is no template "nope". Available: txt2img.', ephemeral: true });
    expect((callbackOf(token)?.json as { type: number }).type).toBe(4);
  });

  it('checks /img2vid limits before downloading the image', async () => {
    const bea = member('bea');
    expect((await answer(h.discord.chatInput('imagine', [option('prompt', 'first')], bea).token)).content).toMatch(/Queued as job/);
    const attachment = h.discord.addAttachment('still.png', still, 'image/png');
    const refused = await answer(img2vid(bea, attachment));
    expect(refused.content).toMatch(/^Please wait a moment between jobs: you can start another <t:\d+:R>\.$/);
    expect(refused.ephemeral).toBe(true);
    expect(h.discord.requests.some((request) => request.method === 'GET' && request.path.includes(`/${attachment.id}/`))).toBe(false);
  });

  it('defers publicly when the image is slow, and then refuses privately, leaving nothing in the channel', async () => {
    const attachment = { ...h.discord.addAttachment('slow.png', still, 'image/png'), url: slowUrl, proxy_url: slowUrl };
    const token = img2vid(member('cat'), attachment);
    const callback = await h.discord.waitForRequest((request) => request.path.includes(token) && request.path.endsWith('/callback'), 5_000, 'the defer');
    const defer = callback.json as { type: number; data?: { flags?: number } };
    expect(defer.type).toBe(5);
    expect((defer.data?.flags ?? 0) & 64).toBe(0);
    const followUp = await h.discord.waitForRequest((request) => request.method === 'POST' && request.path.endsWith(`/${token}`), 10_000, 'the private refusal');
    expect(followUp.json).toMatchObject({ content: 'That file could not be read as an image (it may be truncated or corrupt).', flags: 64 });
    await h.discord.waitForRequest((request) => request.method === 'DELETE' && request.path.endsWith(`/${token}/messages/@original`), 5_000, 'the public reply to go');
    expect(h.discord.originals.get(token)?.content).not.toContain('could not be read');
  });
});

describe('concurrent commands share one quota slot', () => {
  it('queues exactly one of two /imagine sent at once; the other gets the cooldown sentence', async () => {
    const dan = member('dan');
    const tokens = [1, 2].map((n) => h.discord.chatInput('imagine', [option('prompt', `at once ${n}`), option('sampler', 'euler')], dan).token);
    const answers = await Promise.all(tokens.map((token) => answer(token)));
    expect(answers.filter((each) => /^Queued as job/.test(each.content))).toHaveLength(1);
    const refused = answers.filter((each) => /^Please wait a moment between jobs: you can start another <t:\d+:R>\.$/.test(each.content));
    expect(refused).toEqual([expect.objectContaining({ ephemeral: true })]);
  });

  it('queues exactly one of two /img2vid sent at once, though both images download', async () => {
    const eve = member('eve');
    const tokens = [1, 2].map(() => img2vid(eve, h.discord.addAttachment('still.png', still, 'image/png')));
    const answers = await Promise.all(tokens.map((token) => answer(token)));
    expect(answers.map((each) => each.content).filter((content) => /^Queued as job/.test(content))).toHaveLength(1);
    expect(answers.filter((each) => each.content.startsWith('Please wait a moment between jobs'))).toHaveLength(1);
  });
});

describe('/queue is rate limited per member', () => {
  it('refuses the fourth /queue in a row with a short private sentence', async () => {
    const fay = member('fay');
    const answers: Array<{ content: string; ephemeral: boolean }> = [];
    for (let n = 0; n < 4; n++) answers.push(await answer(h.discord.chatInput('queue', [], fay).token));
    expect(answers.slice(0, 3).every((each) => !each.content.startsWith('You are asking'))).toBe(true);
    expect(answers[3]).toEqual({ content: 'You are asking for the queue too often; try again in a few seconds.', ephemeral: true });
    expect((await answer(h.discord.chatInput('queue', [], member('gus')).token)).content).not.toMatch(/too often/);
  });
});

describe('member text is shown, never rendered', () => {
  it('escapes a masked link in the template name of a refusal', async () => {
    const { token } = h.discord.chatInput('imagine', [option('prompt', 'x'), option('template', '[x](https://evil.example)')], member('hal'));
    expect((await answer(token)).content).toBe('There is no template "\\[x\\](https://evil.example)". Available: txt2img.');
  });

  it('escapes markdown and masked links in the embed\'s prompt and negative', async () => {
    const { token } = h.discord.chatInput('imagine', [option('prompt', '[Free Nitro](https://evil.example) **now**'), option('negative', '# [a](https://b.example)')], member('ivy'));
    const done = await waitForOriginal(h.discord, token, (message) => message.files.length > 0, 'the picture');
    const embed = done.embeds[0] as { description: string; fields: Array<{ name: string; value: string }> };
    expect(embed.description).toBe('\\[Free Nitro\\](https://evil.example) \\*\\*now\\*\\*');
    expect(embed.fields.find((field) => field.name === 'Negative')?.value).toBe('\\# \\[a\\](https://b.example)');
    await waitFor(() => h.sim.state.pending.length === 0 && !h.sim.state.running, 'ComfyUI to be idle');
  });
});
