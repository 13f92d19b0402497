import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { fitToLimit } from '../../src/discord/fit.js';
import { TooLargeError } from '../../src/discord/user-error.js';

/** Deterministic noise: it does not compress, so the limits below really bite. */
function noise(width: number, height: number, channels: 3 | 4, seed = 7): Buffer {
  const out = Buffer.alloc(width * height * channels);
  let state = seed;
  for (let index = 0; index < out.length; index++) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    out[index] = state >>> 24;
  }
  return out;
}

describe('fitToLimit', () => {
  it('leaves a file that fits as it is', async () => {
    const bytes = await sharp(noise(16, 16, 3), { raw: { width: 16, height: 16, channels: 3 } }).png().toBuffer();
    expect(await fitToLimit({ name: 'a.png', bytes }, bytes.length)).toEqual({ name: 'a.png', bytes, shrunk: false });
  });

  it('re-encodes a still picture as JPEG, smaller and smaller, until it fits', async () => {
    const bytes = await sharp(noise(300, 300, 3), { raw: { width: 300, height: 300, channels: 3 } }).png().toBuffer();
    const fitted = await fitToLimit({ name: 'big.png', bytes }, 40_000);
    expect(fitted.name).toBe('big.jpg');
    expect(fitted.shrunk).toBe(true);
    expect(fitted.bytes.length).toBeLessThanOrEqual(40_000);
    expect((await sharp(fitted.bytes).metadata()).format).toBe('jpeg');
  });

  it('keeps transparency (WebP) and animation (GIF stays GIF, every frame)', async () => {
    const alpha = await sharp(noise(200, 200, 4), { raw: { width: 200, height: 200, channels: 4 } }).png().toBuffer();
    const fittedAlpha = await fitToLimit({ name: 'alpha.png', bytes: alpha }, 30_000);
    expect(fittedAlpha.name).toBe('alpha.webp');
    expect((await sharp(fittedAlpha.bytes).metadata()).hasAlpha).toBe(true);
    const frames = await Promise.all([1, 2, 3].map((seed) => sharp(noise(120, 120, 3, seed), { raw: { width: 120, height: 120, channels: 3 } }).png().toBuffer()));
    const gif = await sharp(frames, { join: { animated: true } }).gif().toBuffer();
    const fittedGif = await fitToLimit({ name: 'moving.gif', bytes: gif }, Math.floor(gif.length / 2));
    expect(fittedGif.name).toBe('moving.gif');
    expect(await sharp(fittedGif.bytes, { animated: true }).metadata()).toMatchObject({ format: 'gif', pages: 3 });
  });

  it('says plainly when a file cannot be made to fit (a video, or a limit too small)', async () => {
    await expect(fitToLimit({ name: 'clip.mp4', bytes: Buffer.alloc(5_000) }, 1_000)).rejects.toBeInstanceOf(TooLargeError);
    const bytes = await sharp(noise(100, 100, 3), { raw: { width: 100, height: 100, channels: 3 } }).png().toBuffer();
    await expect(fitToLimit({ name: 'a.png', bytes }, 50)).rejects.toMatchObject({ name: 'TooLargeError', limit: 50 });
  });
});
