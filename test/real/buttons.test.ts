import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ComfyClient } from '../../src/comfy/client.js';
import { parseServer } from '../../src/comfy/server.js';
import type { StoredMessage } from '../fakes/discord/fake-discord.js';
import { member, option, slash, waitForOriginal } from '../e2e/harness.js';
import { startRealHarness, type RealHarness } from './harness.js';

/** The buttons under a result and /inpaint, on the real ComfyUI with model-free templates. */
const url = inject('comfyUrl');
let h: RealHarness;
let comfy: ComfyClient;
beforeAll(async () => {
  h = await startRealHarness(url, {
    DEFAULT_IMG2VID_TEMPLATE: '', DEFAULT_UPSCALE_TEMPLATE: 'real-upscale', DEFAULT_IMG2IMG_TEMPLATE: 'real-img2img', DEFAULT_INPAINT_TEMPLATE: 'real-inpaint',
  });
  comfy = new ComfyClient({ server: parseServer(url), clientId: `contract-${randomUUID()}` });
});
afterAll(async () => {
  await h?.stop();
  await comfy?.close();
});

type Prompt = Record<string, { class_type: string; inputs: Record<string, unknown> }>;

/** The real history entry whose prompt text (node 10) is `text`, newest first. */
async function promptsWith(text: string): Promise<Prompt[]> {
  const history = await comfy.getHistory(200);
  return Object.values(history).map((entry) => entry.prompt[2] as Prompt).filter((prompt) => prompt['10']?.inputs['value'] === text);
}

async function result(token: string): Promise<StoredMessage> {
  return waitForOriginal(h.discord, token, (message) => message.files.length > 0, 'the result', 60_000);
}

function buttonOf(message: StoredMessage, action: string): string {
  const ids = (message.components as Array<{ components: Array<{ custom_id: string }> }>).flatMap((row) => row.components.map((button) => button.custom_id));
  const found = ids.find((id) => id.startsWith(`job:${action}:`));
  if (!found) throw new Error(`no ${action} button; the message has ${ids.join(', ')}`);
  return found;
}

const ann = member('ann');

describe('result buttons on the real ComfyUI', () => {
  let first: StoredMessage;

  it('reroll: the same prompt again with a new seed, in the real history', async () => {
    const { token } = h.discord.chatInput('imagine', [option('prompt', 'buttons on a real server')], ann);
    first = await result(token);
    const again = h.discord.press(first, buttonOf(first, 'reroll'), ann);
    await result(again.token);
    const prompts = await promptsWith('buttons on a real server');
    expect(prompts).toHaveLength(2);
    expect(new Set(prompts.map((prompt) => prompt['2']?.inputs['seed'])).size).toBe(2);
  });

  it('upscale (ImageScaleBy ×2): the picture comes back twice as large', async () => {
    const { width, height } = await sharp(first.files[0] as Buffer).metadata();
    const upscaled = await result(h.discord.press(first, buttonOf(first, 'upscale'), ann).token);
    expect(await sharp(upscaled.files[0] as Buffer).metadata()).toMatchObject({ width: (width ?? 0) * 2, height: (height ?? 0) * 2 });
  });

  it('vary: the result\'s picture uploaded to the real server and drawn from at the subtle strength', async () => {
    await result(h.discord.press(first, buttonOf(first, 'vary-subtle'), ann).token);
    const [prompt] = await promptsWith('buttons on a real server').then((all) => all.filter((entry) => entry['1']?.class_type === 'LoadImage'));
    expect(prompt?.['2']?.inputs['strength']).toBe(0.35);
    const [subfolder, filename] = String(prompt?.['1']?.inputs['image']).split('/');
    const uploaded = await comfy.view({ filename: filename ?? '', subfolder: subfolder ?? '', type: 'input' });
    const bytes = Buffer.concat(await uploaded.stream.toArray());
    expect(bytes.equals(first.files[0] as Buffer)).toBe(true);
  });
});

describe('/inpaint on the real ComfyUI', () => {
  it('uploads the mask with original_ref; the real server composites it, and LoadImage reads it back as the MASK', async () => {
    const picture = await sharp({ create: { width: 64, height: 32, channels: 3, background: { r: 200, g: 40, b: 40 } } }).png().toBuffer();
    const mask = await sharp({ create: { width: 64, height: 32, channels: 3, background: '#000000' } })
      .composite([{ input: { create: { width: 32, height: 32, channels: 3, background: '#ffffff' } }, left: 0, top: 0 }]).png().toBuffer();
    const image = h.discord.addAttachment('room.png', picture, 'image/png');
    const painted = h.discord.addAttachment('mask.png', mask, 'image/png');
    const { token } = h.discord.chatInput('inpaint', [{ name: 'image', type: 11, value: image.id }, { name: 'mask', type: 11, value: painted.id }, option('prompt', 'inpaint on a real server')], ann, { attachments: [image, painted] });
    const done = await result(token);
    expect(done.files).toHaveLength(2);
    // The picture as LoadImage read it (its RGB), and its MASK: white (1) where the member painted white.
    const [back, maskOut] = done.files as [Buffer, Buffer];
    expect([...(await sharp(back).removeAlpha().raw().toBuffer()).subarray(0, 3)]).toEqual([200, 40, 40]);
    const grey = await sharp(maskOut).greyscale().raw().toBuffer();
    expect([grey[0], grey[31], grey[32], grey[63]]).toEqual([255, 255, 0, 0]);
    const [prompt] = await promptsWith('inpaint on a real server');
    expect(String(prompt?.['1']?.inputs['image'])).toMatch(/^discord\/bot-[0-9a-f]{24}-mask-[0-9a-f]{24}\.png$/);
  });
});

describe('seeing what happens, on the real ComfyUI', () => {
  it('previews are asked per prompt (extra_data.preview_method); the real server accepts it and runs the job', async () => {
    const { token } = h.discord.chatInput('imagine', [option('prompt', 'previews asked of a real server')], ann);
    await result(token);
    const history = await comfy.getHistory(200);
    const entry = Object.values(history).find((item) => (item.prompt[2] as Prompt)['10']?.inputs['value'] === 'previews asked of a real server');
    expect(entry?.prompt[3]).toMatchObject({ preview_method: 'auto' });
  });

  it('/status reads the real /system_stats: the server by label, up, its device and ComfyUI version', async () => {
    const lines = (await slash(h.discord, 'status', ann, [], {}, 30_000)).split('\n');
    expect(lines[0]).toMatch(/^\*\*server 1\*\* — 🟢 .*ComfyUI 0\.3\.65/);
    expect(lines.at(-1)).toMatch(/^Bot: \d+ waiting, \d+ with ComfyUI; up \d+ min\.$/);
    expect(lines.join('\n')).not.toContain('127.0.0.1');
  });
});
