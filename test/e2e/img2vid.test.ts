import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers.js';
import { member, option, startHarness, waitForOriginal, type Harness } from './harness.js';
import { pngBomb } from './png.js';

let h: Harness;
let still: Buffer;
let gif: Buffer;
beforeAll(async () => {
  h = await startHarness({ sim: { imageWidth: 64, imageHeight: 48 }, env: { MAX_INPUT_IMAGE_BYTES: '200000', MAX_INPUT_IMAGE_SIDE: '2048' } });
  still = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#3a7' } }).png().toBuffer();
  gif = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#a37' } }).gif().toBuffer();
});
afterAll(async () => {
  await h?.stop();
});

function img2vid(bytes: Buffer, filename: string, contentType: string, options: Array<ReturnType<typeof option>> = []) {
  const attachment = h.discord.addAttachment(filename, bytes, contentType);
  return h.discord.chatInput('img2vid', [{ name: 'image', type: 11, value: attachment.id }, ...options], member('vid'), { attachments: [attachment] });
}

describe('/img2vid end to end', () => {
  it('uploads the attachment to ComfyUI byte for byte and delivers a GIF that plays', async () => {
    const { token } = img2vid(still, 'cat.png', 'image/png', [option('frames', 3), option('fps', 8)]);
    const done = await waitForOriginal(h.discord, token, (message) => message.files.length > 0, 'the animation');
    const uploaded = [...h.sim.state.files.entries()].filter(([key]) => key.startsWith('input/discord/'));
    expect(uploaded).toHaveLength(1);
    expect(uploaded[0]?.[1].equals(still)).toBe(true);
    const sent = h.sim.submitted.at(-1) as { prompt: Record<string, { inputs: Record<string, unknown> }> };
    expect(sent.prompt['23']?.inputs['image']).toBe(uploaded[0]?.[0].slice('input/'.length));
    expect([sent.prompt['12']?.inputs['fps'], sent.prompt['24']?.inputs['frame_rate']]).toEqual([8, 8]);
    const gif = done.files[0] as Buffer;
    expect(await sharp(gif, { animated: true }).metadata()).toMatchObject({ format: 'gif', pages: 3 });
    expect(done.attachments[0]?.filename).toMatch(/\.gif$/);
  });

  it('delivers the core-nodes template as animated WebP with a GIF beside it', async () => {
    const { token } = img2vid(still, 'cat.png', 'image/png', [option('frames', 2), option('template', 'img2vid-core')]);
    const done = await waitForOriginal(h.discord, token, (message) => message.files.length > 1, 'the animation and its GIF');
    expect(done.attachments.map((attachment) => attachment.filename.split('.').pop())).toEqual(['webp', 'gif']);
    expect((await sharp(done.files[0] as Buffer, { animated: true }).metadata()).pages).toBe(2);
    expect((await sharp(done.files[1] as Buffer, { animated: true }).metadata())).toMatchObject({ format: 'gif', pages: 2 });
    // The member's first file does not wait for the GIF: the WebP arrives alone, the GIF is added by a later edit.
    const uploads = h.discord.requests.filter((request) => request.path.includes(token) && request.files.length > 0);
    expect(uploads.map((request) => request.files.map((file) => file.filename.split('.').pop()))).toEqual([['webp'], ['gif']]);
  });

  it('adds the GIF to a result posted in the channel too (the reply was deleted)', async () => {
    const { token } = img2vid(still, 'late.png', 'image/png', [option('frames', 2), option('template', 'img2vid-core')]);
    h.discord.deletedOriginals.add(token);
    const posted = await waitFor(() => h.discord.channelMessages.find((message) => message.content.includes('original reply was deleted') && message.files.length > 1), 'the channel post with its GIF', 15_000).catch((error: Error) => {
      throw new Error(`${error.message}: ${JSON.stringify(h.discord.channelMessages.map((message) => [message.content, message.attachments.map((a) => a.filename)]))}`);
    });
    expect(posted.attachments.map((attachment) => attachment.filename.split('.').pop())).toEqual(['webp', 'gif']);
  });

  it.each([
    ['a text file', () => Buffer.from('hello'), 'notes.txt', 'text/plain', 'That attachment is text/plain; attach a PNG, JPEG or WebP picture.'],
    ['an empty file', () => Buffer.alloc(0), 'empty.png', 'image/png', 'That attachment is empty (0 bytes).'],
    ['a truncated PNG', () => still.subarray(0, Math.floor(still.length / 2)), 'cut.png', 'image/png', 'That file could not be read as an image (it may be truncated or corrupt).'],
    ['a 50000×50000 header', () => pngBomb(50_000, 50_000), 'bomb.png', 'image/png', 'That image is 50000×50000; the largest side may be 2048 pixels.'],
    ['a file over the size limit', () => Buffer.alloc(300_000, 1), 'big.png', 'image/png', 'That image is 293 KiB; the limit is 195 KiB.'],
    ['a GIF', () => gif, 'anim.gif', 'image/gif', 'That attachment is a GIF file; attach a PNG, JPEG or WebP picture.'],
  ])('refuses %s with a clear reason and creates no job', async (_case, bytes, filename, type, reason) => {
    const before = h.sim.submitted.length;
    const { token } = img2vid(bytes(), filename, type);
    const reply = await waitForOriginal(h.discord, token, (message) => message.content !== '', 'the refusal');
    expect(reply.content).toBe(reason);
    expect(h.sim.submitted.length).toBe(before);
  });

  it('does not download attachments from hosts other than Discord\'s', async () => {
    const attachment = { ...h.discord.addAttachment('cat.png', still, 'image/png'), url: 'http://127.0.0.2:9/cat.png' };
    const { token } = h.discord.chatInput('img2vid', [{ name: 'image', type: 11, value: attachment.id }], member('evil'), { attachments: [attachment] });
    const reply = await waitForOriginal(h.discord, token, (message) => message.content !== '', 'the refusal');
    expect(reply.content).toBe('That attachment does not come from Discord, so I will not download it.');
  });
});
