import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { forInpainting } from '../../src/discord/mask.js';

/** A picture stored 400×200 with EXIF orientation 6: a phone shows it 200×400 (turned a quarter clockwise). */
async function sideways(): Promise<Buffer> {
  return sharp({ create: { width: 400, height: 200, channels: 3, background: '#336699' } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
}

/** White on the top half of what the member sees. */
async function topHalf(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#000000' } })
    .composite([{ input: { create: { width, height: height / 2, channels: 3, background: '#ffffff' } }, left: 0, top: 0 }]).png().toBuffer();
}

describe('forInpainting', () => {
  it('turns a phone photo upright and makes the mask to it, so the painted part is the part the member saw', async () => {
    const prepared = await forInpainting({ bytes: await sideways(), extension: 'jpg' }, await topHalf(200, 400));
    expect(await sharp(prepared.bytes).metadata()).toMatchObject({ width: 200, height: 400, format: 'png' });
    const alpha = await sharp(prepared.mask).extractChannel(3).raw().toBuffer();
    // Top rows are repainted (alpha 0), bottom rows kept (alpha 255).
    expect([alpha[0], alpha[199 * 200], alpha[201 * 200], alpha[399 * 200]]).toEqual([0, 0, 255, 255]);
  });

  it('refuses a mask of another shape instead of stretching it, and one with nothing painted', async () => {
    const picture = { bytes: await sharp({ create: { width: 300, height: 200, channels: 3, background: '#fff' } }).png().toBuffer(), extension: 'png' };
    await expect(forInpainting(picture, await topHalf(200, 400))).rejects.toMatchObject({ id: 'mask.shape' });
    const black = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#000' } }).png().toBuffer();
    await expect(forInpainting(picture, black)).rejects.toMatchObject({ id: 'mask.empty' });
    expect((await forInpainting(picture, await topHalf(600, 400))).mask.length).toBeGreaterThan(0);
  });
});
