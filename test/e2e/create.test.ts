import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from './harness.js';
import { waitFor } from '../helpers.js';
import { member, option, startHarness, waitForOriginal } from './harness.js';

type Prompt = Record<string, { class_type: string; inputs: Record<string, unknown> }>;

const ann = member('ann');
const manyLoras = Array.from({ length: 30 }, (_, index) => `style-${String(index).padStart(2, '0')}.safetensors`).concat(['detail-tweaker.safetensors']);
let h: Harness;
let still: Buffer;
beforeAll(async () => {
  h = await startHarness({ sim: { loras: manyLoras } });
  still = await sharp({ create: { width: 96, height: 64, channels: 3, background: { r: 20, g: 120, b: 200 } } }).png().toBuffer();
});
afterAll(async () => {
  await h?.stop();
});

/** The prompt ComfyUI got for the job whose text is `marker`. */
async function promptWith(token: string, marker: string): Promise<Prompt> {
  await waitForOriginal(h.discord, token, (message) => message.files.length > 0, `the result of ${marker}`);
  const sent = await waitFor(() => h.sim.submitted.find((request) => JSON.stringify(request).includes(marker)), `the prompt of ${marker}`);
  return (sent as { prompt: Prompt }).prompt;
}

function node(prompt: Prompt, type: string) {
  return Object.values(prompt).find((entry) => entry.class_type === type)?.inputs;
}

async function refusal(token: string): Promise<string> {
  return (await waitForOriginal(h.discord, token, (message) => message.content !== '', 'the refusal')).content;
}

describe('more ways to create', () => {
  it('/img2img uploads the attachment byte for byte and draws from it at the asked strength', async () => {
    const attachment = h.discord.addAttachment('cat.png', still, 'image/png');
    const { token } = h.discord.chatInput('img2img', [{ name: 'image', type: 11, value: attachment.id }, option('prompt', 'the cat as an oil painting'), option('strength', 0.45)], ann, { attachments: [attachment] });
    const prompt = await promptWith(token, 'the cat as an oil painting');
    const uploaded = [...h.sim.state.files.entries()].filter(([key]) => key.startsWith('input/discord/'));
    expect(uploaded.some(([, bytes]) => bytes.equals(still))).toBe(true);
    const name = uploaded.find(([, bytes]) => bytes.equals(still))?.[0].slice('input/'.length);
    expect(node(prompt, 'LoadImage')?.['image']).toBe(name);
    expect(node(prompt, 'KSampler')?.['denoise']).toBe(0.45);
    expect(node(prompt, 'VAEEncode')?.['pixels']).toEqual(['10', 0]);
  });

  it('/img2img without a picture is refused privately', async () => {
    const { token } = h.discord.chatInput('img2img', [option('prompt', 'nothing')], ann);
    expect(await refusal(token)).toBe('Attach a picture (PNG, JPEG or WebP).');
  });

  it('/inpaint uploads the picture, then the mask with original_ref naming it, and paints through the composite', async () => {
    // White on the left (repaint), black on the right (keep).
    const maskPng = await sharp({ create: { width: 96, height: 64, channels: 3, background: '#000000' } })
      .composite([{ input: { create: { width: 48, height: 64, channels: 3, background: '#ffffff' } }, left: 0, top: 0 }]).png().toBuffer();
    const picture = h.discord.addAttachment('room.png', still, 'image/png');
    const mask = h.discord.addAttachment('mask.png', maskPng, 'image/png');
    const { token } = h.discord.chatInput('inpaint', [
      { name: 'image', type: 11, value: picture.id }, { name: 'mask', type: 11, value: mask.id }, option('prompt', 'a window with a view'), option('grow', 8),
    ], ann, { attachments: [picture, mask] });
    const prompt = await promptWith(token, 'a window with a view');
    const upload = h.sim.state.maskUploads.at(-1);
    const original = [...h.sim.state.files.entries()].find(([key, bytes]) => key.startsWith('input/discord/') && bytes.equals(still));
    expect(upload?.originalRef).toEqual({ filename: original?.[0].slice('input/discord/'.length), subfolder: 'discord', type: 'input' });
    expect(node(prompt, 'LoadImage')?.['image']).toBe(`discord/${upload?.name}`);
    expect(node(prompt, 'VAEEncodeForInpaint')).toMatchObject({ mask: ['10', 1], pixels: ['10', 0], grow_mask_by: 8 });
    // What LoadImage reads: the picture, transparent where to repaint.
    const composite = h.sim.state.files.get(`input/discord/${upload?.name}`) as Buffer;
    const alpha = await sharp(composite).extractChannel(3).raw().toBuffer();
    expect([alpha[0], alpha[47], alpha[48], alpha[95]]).toEqual([0, 0, 255, 255]);
    const rgb = await sharp(composite).removeAlpha().raw().toBuffer();
    expect([...rgb.subarray(0, 3)]).toEqual([20, 120, 200]);
  });

  it('/inpaint refuses a mask with nothing to repaint, privately', async () => {
    const black = await sharp({ create: { width: 96, height: 64, channels: 3, background: '#000000' } }).png().toBuffer();
    const picture = h.discord.addAttachment('room.png', still, 'image/png');
    const mask = h.discord.addAttachment('mask.png', black, 'image/png');
    const { token } = h.discord.chatInput('inpaint', [{ name: 'image', type: 11, value: picture.id }, { name: 'mask', type: 11, value: mask.id }, option('prompt', 'x')], member('blank'), { attachments: [picture, mask] });
    expect(await refusal(token)).toBe('That mask has nothing to repaint: paint white where the picture should change (black keeps it).');
  });

  it('turns each aspect ratio into the template\'s sizes (SDXL: around 1024², sides multiples of 64)', async () => {
    const expected: Record<string, [number, number]> = { '1:1': [1024, 1024], '3:2': [1280, 832], '2:3': [832, 1280], '16:9': [1344, 768], '9:16': [768, 1344], '21:9': [1536, 640] };
    for (const [ratio, size] of Object.entries(expected)) {
      const marker = `a ${ratio} landscape`;
      const { token } = h.discord.chatInput('imagine', [option('prompt', marker), option('size', ratio)], member(`r${ratio}`));
      const latent = node(await promptWith(token, marker), 'EmptyLatentImage');
      expect([ratio, latent?.['width'], latent?.['height']]).toEqual([ratio, ...size]);
    }
  });

  it('inserts the named LoRA between the checkpoint and its consumers in what reaches ComfyUI', async () => {
    const { token } = h.discord.chatInput('imagine', [option('prompt', 'a detailed fox'), option('lora', 'detail-tweaker.safetensors'), option('lora_strength', 0.8)], ann);
    const prompt = await promptWith(token, 'a detailed fox');
    const [loraId, lora] = Object.entries(prompt).find(([, entry]) => entry.class_type === 'LoraLoader') ?? [];
    expect(lora?.inputs).toMatchObject({ lora_name: 'detail-tweaker.safetensors', strength_model: 0.8, strength_clip: 0.8, model: ['4', 0], clip: ['4', 1] });
    expect(node(prompt, 'KSampler')?.['model']).toEqual([loraId, 0]);
    const done = await waitForOriginal(h.discord, token, (message) => message.files.length > 0, 'the result');
    expect((done.embeds[0] as { fields: Array<{ name: string; value: string }> }).fields).toContainEqual({ name: 'LoRA', value: 'detail-tweaker.safetensors', inline: true });
  });

  it('autocompletes LoRAs from the server, filtered as the member types (31 installed, 25 shown at most)', async () => {
    const choices = async (typed: string) => {
      const { token } = h.discord.chatInput('imagine', [option('prompt', 'x'), { name: 'lora', type: 3, value: typed, focused: true }], ann, { autocomplete: true });
      const callback = await h.discord.waitForRequest((request) => request.path.endsWith(`/${token}/callback`), 10_000, 'the autocomplete answer');
      return (callback.json as { data: { choices: Array<{ value: string }> } }).data.choices.map((choice) => choice.value);
    };
    expect(await choices('')).toHaveLength(25);
    expect(await choices('tweak')).toEqual(['detail-tweaker.safetensors']);
    expect(await choices('style-1')).toEqual(Array.from({ length: 10 }, (_, index) => `style-1${index}.safetensors`));
  });

  it('refuses a LoRA no server has, naming it and what is installed', async () => {
    const { token } = h.discord.chatInput('imagine', [option('prompt', 'x'), option('lora', 'missing-lora.safetensors')], member('lorafan'));
    expect(await refusal(token)).toMatch(/^LoRA "missing-lora\.safetensors" is not available on this server\. Available: style-00\.safetensors/);
  });
});

describe('a LoRA on one server of two', () => {
  it('routes the job to the server that has it', async () => {
    const pair = await startHarness({ sims: [{ loras: [] }, { loras: ['only-here.safetensors'] }] });
    try {
      for (let round = 0; round < 2; round++) {
        const { token } = pair.discord.chatInput('imagine', [option('prompt', `round ${round}`), option('lora', 'only-here.safetensors')], member(`m${round}`));
        await waitForOriginal(pair.discord, token, (message) => message.files.length > 0, 'the result');
      }
      expect(pair.sims.map((sim) => sim.submitted.length)).toEqual([0, 2]);
    } finally {
      await pair.stop();
    }
  });
});
