import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { member, option, startHarness, waitForOriginal, type Harness } from './harness.js';
import { pngBomb } from './png.js';

let h: Harness;
let still: Buffer;
beforeAll(async () => {
  h = await startHarness({ env: { MAX_INPUT_IMAGE_BYTES: '100000', MAX_INPUT_IMAGE_SIDE: '2048', JOBS_PER_HOUR: '0' } });
  still = await sharp({ create: { width: 24, height: 24, channels: 3, background: '#246' } }).png().toBuffer();
});
afterAll(async () => {
  await h?.stop();
});

async function reply(token: string): Promise<string> {
  return (await waitForOriginal(h.discord, token, (message) => message.content !== '', 'an answer')).content;
}

/** Answered with an ephemeral reply: only the member saw the refusal. */
function privately(token: string): boolean {
  const callback = h.discord.requests.find((request) => request.path.includes(token) && request.path.endsWith('/callback'));
  return (((callback?.json as { data?: { flags?: number } }).data?.flags ?? 0) & 64) !== 0;
}

describe('bad input: one clear message, no job', () => {
  it.each([
    ['an empty prompt', [option('prompt', '')], 'Prompt must not be empty.'],
    ['a whitespace prompt', [option('prompt', ' \n\t ')], 'Prompt must not be empty or only spaces.'],
    ['a 6000-character prompt', [option('prompt', 'a'.repeat(6000))], 'Prompt must be at most 4000 characters.'],
    ['control characters', [option('prompt', 'cat\u0000dog\u001b[31m')], 'Prompt contains control characters; remove them.'],
    ['steps out of range', [option('prompt', 'x'), option('steps', 500)], 'Steps must be between 1 and 100.'],
    ['a negative seed', [option('prompt', 'x'), option('seed', -1)], 'Seed must be between 0 and 9007199254740991.'],
    ['a fractional count', [option('prompt', 'x'), option('count', 1.5)], 'Count must be a whole number.'],
    ['cfg out of range', [option('prompt', 'x'), option('cfg', 99.5)], 'CFG must be between 1 and 30.'],
    ['an unknown template', [option('prompt', 'x'), option('template', 'nope')], 'There is no template "nope". Available: txt2img.'],
    ['an img2vid template on /imagine', [option('prompt', 'x'), option('template', 'img2vid')], 'Template "img2vid" is for /img2vid, not /imagine.'],
    ['an unknown checkpoint', [option('prompt', 'x'), option('checkpoint', 'nope.ckpt')], 'Checkpoint "nope.ckpt" is not available on this server. Available: sd_xl_base_1.0.safetensors, dreamshaper_8.safetensors.'],
    ['an unknown sampler', [option('prompt', 'x'), option('sampler', 'warp')], 'Sampler "warp" is not available on this server. Available: euler, euler_cfg_pp, euler_ancestral, euler_ancestral_cfg_pp, heun, heunpp2, dpm_2, dpm_2_ancestral, lms, dpm_fast.'],
  ])('/imagine with %s', async (_case, options, message) => {
    const before = h.sim.submitted.length;
    const { token } = h.discord.chatInput('imagine', options, member('bad'));
    expect(await reply(token)).toBe(message);
    expect(privately(token)).toBe(true);
    expect(h.sim.submitted.length).toBe(before);
  });

  it.each([
    ['a non-image', () => Buffer.from('%PDF-1.7'), 'doc.pdf', 'application/pdf', 'That attachment is application/pdf; attach a PNG, JPEG or WebP picture.'],
    ['a 0-byte file', () => Buffer.alloc(0), 'zero.png', 'image/png', 'That attachment is empty (0 bytes).'],
    ['a truncated PNG', () => still.subarray(0, 60), 'cut.png', 'image/png', 'That file could not be read as an image (it may be truncated or corrupt).'],
    ['a PNG header claiming 50000×50000', () => pngBomb(50_000, 50_000), 'bomb.png', 'image/png', 'That image is 50000×50000; the largest side may be 2048 pixels.'],
    ['a file over the size limit', () => Buffer.alloc(150_000, 7), 'huge.png', 'image/png', 'That image is 146 KiB; the limit is 98 KiB.'],
    ['an image lying about its type', () => Buffer.from('not really a png at all'), 'liar.png', 'image/png', 'That file could not be read as an image (it may be truncated or corrupt).'],
  ])('/img2vid with %s', async (_case, bytes, filename, type, message) => {
    const before = h.sim.submitted.length;
    const attachment = h.discord.addAttachment(filename, bytes(), type);
    const { token } = h.discord.chatInput('img2vid', [{ name: 'image', type: 11, value: attachment.id }], member('bad'), { attachments: [attachment] });
    expect(await reply(token)).toBe(message);
    expect(privately(token)).toBe(true);
    expect(h.sim.submitted.length).toBe(before);
  });
});

describe('unusual but valid input reaches ComfyUI byte for byte', () => {
  it.each([
    ['emoji', '🦊🔥 a fox on fire, 👩‍👩‍👧 family'],
    ['right-to-left text', 'قطة على سطح القمر — חתול על הירח'],
    ['JSON', '{"prompt": {"9": {"class_type": "SaveImage"}}, "client_id": "x"}'],
    ['template placeholders', '{{prompt}} %PROMPT% ${prompt} {prompt} __proto__'],
    ['quotes and backslashes', 'a "quoted" \'word\' C:\\Users\\x\\n\\"'],
    ['newlines and tabs', 'line one\nline two\ttabbed'],
  ])('%s', async (_case, prompt) => {
    const { token } = h.discord.chatInput('imagine', [option('prompt', prompt)], member('odd'));
    const reply = await waitForOriginal(h.discord, token, (message) => message.files.length > 0, 'the picture');
    expect(reply.files).toHaveLength(1);
    const sent = h.sim.submitted.find((body) => (body as { prompt: Record<string, { inputs: Record<string, unknown> }> }).prompt['6']?.inputs['text'] === prompt);
    expect(sent).toBeDefined();
  });

  it('uploads an attachment named with path separators under a safe name of our own', async () => {
    const attachment = h.discord.addAttachment('../../etc/passwd.png', still, 'image/png');
    const { token } = h.discord.chatInput('img2vid', [{ name: 'image', type: 11, value: attachment.id }, option('frames', 2)], member('odd'), { attachments: [attachment] });
    await waitForOriginal(h.discord, token, (message) => message.files.length > 0, 'the animation');
    const names = [...h.sim.state.files.keys()].filter((key) => key.startsWith('input/'));
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/^input\/discord\/bot-[0-9a-f]{24}\.png$/);
  });

  it('flattens an animated attachment to its first frame before ComfyUI sees it (LoadImage decodes every frame)', async () => {
    const frame = (colour: string) => sharp({ create: { width: 20, height: 20, channels: 3, background: colour } }).png().toBuffer();
    const animated = await sharp([await frame('red'), await frame('blue'), await frame('green')], { join: { animated: true } }).webp().toBuffer();
    const before = new Set(h.sim.state.files.keys());
    const attachment = h.discord.addAttachment('moving.webp', animated, 'image/webp');
    const { token } = h.discord.chatInput('img2vid', [{ name: 'image', type: 11, value: attachment.id }, option('frames', 2)], member('mover'), { attachments: [attachment] });
    await waitForOriginal(h.discord, token, (message) => message.files.length > 0, 'the animation');
    const uploaded = [...h.sim.state.files.entries()].filter(([key]) => key.startsWith('input/') && !before.has(key));
    expect(uploaded).toHaveLength(1);
    const [key, bytes] = uploaded[0] as [string, Buffer];
    expect(key).toMatch(/\.png$/);
    expect(await sharp(bytes, { animated: true }).metadata()).toMatchObject({ format: 'png', width: 20, height: 20 });
    expect((await sharp(bytes, { animated: true }).metadata()).pages ?? 1).toBe(1);
  });
});
