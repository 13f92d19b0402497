import { createServer, type Server } from 'node:http';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countFrames, frameInfo } from '../../src/discord/frames.js';
import { fetchInputImage, firstFrameOnly } from '../../src/discord/input-image.js';
import { UserError } from '../../src/discord/user-error.js';
import { chunk } from '../e2e/png.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const RED = [255, 0, 0] as const;
const BLUE = [0, 0, 255] as const;

function u32(...values: number[]): Buffer {
  const out = Buffer.alloc(4 * values.length);
  values.forEach((value, index) => out.writeUInt32BE(value, 4 * index));
  return out;
}

function ihdr(width: number, height: number): Buffer {
  return chunk('IHDR', Buffer.concat([u32(width, height), Buffer.from([8, 2, 0, 0, 0])]));
}

function fcTL(sequence: number, width: number, height: number): Buffer {
  return chunk('fcTL', Buffer.concat([u32(sequence, width, height, 0, 0), Buffer.from([0, 1, 0, 10, 0, 0])]));
}

/** Deflated RGB scanlines (filter byte 0) of one flat colour. */
function pixels(width: number, height: number, rgb: readonly number[]): Buffer {
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => rgb).flat())]);
  return deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
}

/** A real APNG: a red default image that is frame 0, then `frames - 1` blue frames. */
function apng(width: number, height: number, frames: number): Buffer {
  const blue = pixels(width, height, BLUE);
  const rest: Buffer[] = [];
  for (let frame = 1, sequence = 1; frame < frames; frame++, sequence += 2) {
    rest.push(fcTL(sequence, width, height), chunk('fdAT', Buffer.concat([u32(sequence + 1), blue])));
  }
  return Buffer.concat([
    PNG_SIGNATURE, ihdr(width, height), chunk('acTL', u32(frames, 0)), fcTL(0, width, height),
    chunk('IDAT', pixels(width, height, RED)), ...rest, chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Deterministic noise, so failures reproduce. */
function noise(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

/** The 80 KB bomb: 4096×4096, 1000 frames declared, and an IDAT that is not image data. */
function apngBomb(): Buffer {
  return Buffer.concat([
    PNG_SIGNATURE, ihdr(4096, 4096), chunk('acTL', u32(1000, 0)), fcTL(0, 4096, 4096),
    chunk('IDAT', noise(80_000, 7)), chunk('IEND', Buffer.alloc(0)),
  ]);
}

function solid(rgb: readonly number[], width = 16, height = 12): Promise<Buffer> {
  const [r = 0, g = 0, b = 0] = rgb;
  return sharp({ create: { width, height, channels: 3, background: { r, g, b } } }).png().toBuffer();
}

async function animation(format: 'webp' | 'gif'): Promise<Buffer> {
  const frames = await Promise.all([RED, BLUE, [0, 255, 0]].map((rgb) => solid(rgb)));
  const joined = sharp(frames, { join: { animated: true } });
  return format === 'webp' ? joined.webp({ lossless: true }).toBuffer() : joined.gif().toBuffer();
}

async function firstPixel(bytes: Buffer): Promise<number[]> {
  const { data } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return [...data.subarray(0, 3)];
}

let png: Buffer;
let jpeg: Buffer;
let stillWebp: Buffer;
let stillGif: Buffer;
let animatedWebp: Buffer;
let animatedGif: Buffer;
let apng64: Buffer;

beforeAll(async () => {
  png = await solid(RED, 40, 30);
  jpeg = await sharp(png).jpeg().toBuffer();
  stillWebp = await sharp(png).webp().toBuffer();
  stillGif = await sharp(png).gif().toBuffer();
  animatedWebp = await animation('webp');
  animatedGif = await animation('gif');
  apng64 = apng(64, 64, 1000);
});

describe('countFrames', () => {
  it('reads one frame from still images', () => {
    expect(frameInfo(png)).toEqual({ format: 'png', frames: 1 });
    expect(frameInfo(jpeg)).toEqual({ format: 'jpeg', frames: 1 });
    expect(frameInfo(stillWebp)).toEqual({ format: 'webp', frames: 1 });
    expect(frameInfo(stillGif)).toEqual({ format: 'gif', frames: 1 });
  });

  it('reads an APNG from acTL even though sharp sees one page', async () => {
    expect(frameInfo(apng64)).toEqual({ format: 'png', frames: 1000 });
    expect(countFrames(apngBomb())).toBe(1000);
    const meta = await sharp(apng64).metadata();
    expect(meta.pages ?? 1).toBe(1);
  });

  it('ignores an acTL that comes after the first IDAT, as PIL does', () => {
    const still = Buffer.concat([PNG_SIGNATURE, ihdr(4, 4), chunk('IDAT', pixels(4, 4, RED)), chunk('acTL', u32(1000, 0)), chunk('IEND', Buffer.alloc(0))]);
    expect(countFrames(still)).toBe(1);
  });

  it('counts the frames of animated WebP and GIF', () => {
    expect(frameInfo(animatedWebp)).toEqual({ format: 'webp', frames: 3 });
    expect(frameInfo(animatedGif)).toEqual({ format: 'gif', frames: 3 });
  });

  it('never throws on any truncation and never counts more than the whole file', () => {
    for (const sample of [png, jpeg, stillWebp, stillGif, animatedWebp, animatedGif, apng(8, 8, 5)]) {
      const whole = countFrames(sample);
      for (let length = 0; length <= sample.length; length++) {
        const frames = countFrames(sample.subarray(0, length));
        expect(frames).toBeGreaterThanOrEqual(1);
        expect(frames).toBeLessThanOrEqual(whole);
      }
    }
  });

  it('stops at lying lengths instead of reading out of bounds or looping', () => {
    const hugePngChunk = Buffer.concat([PNG_SIGNATURE, ihdr(4, 4), u32(0xffff_ffff), Buffer.from('tEXt'), chunk('acTL', u32(9, 0))]);
    expect(countFrames(hugePngChunk)).toBe(1);
    const hugeRiffChunk = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4, 0xff), Buffer.from('WEBPANMF'), Buffer.alloc(4, 0xff), Buffer.from('ANMF')]);
    expect(countFrames(hugeRiffChunk)).toBe(1);
    const runawayGif = Buffer.concat([Buffer.from('GIF89a'), Buffer.alloc(7), Buffer.from([0x21, 0xf9, 0xff, 1, 2])]);
    expect(countFrames(runawayGif)).toBe(1);
    const zeroSizedRiff = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBP'), ...Array.from({ length: 50 }, () => Buffer.from('ANMF\0\0\0\0'))]);
    expect(countFrames(zeroSizedRiff)).toBe(50);
  });

  it('returns a sane count for garbage behind every signature', () => {
    const prefixes = [PNG_SIGNATURE, Buffer.from('RIFF\0\0\0\0WEBP'), Buffer.from('GIF89a'), Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(0)];
    for (const [index, prefix] of prefixes.entries()) {
      for (let seed = 1; seed <= 50; seed++) {
        const frames = countFrames(Buffer.concat([prefix, noise(2_000, seed * 31 + index)]));
        expect(Number.isInteger(frames) && frames >= 1).toBe(true);
      }
    }
    expect(frameInfo(Buffer.alloc(0))).toEqual({ format: 'unknown', frames: 1 });
  });
});

describe('firstFrameOnly', () => {
  it('flattens an APNG to its default image (frame 0), never the later frames', async () => {
    const flat = await firstFrameOnly(apng64, 4096 * 4096);
    expect(frameInfo(flat)).toEqual({ format: 'png', frames: 1 });
    expect(flat.includes('acTL')).toBe(false);
    expect(await sharp(flat).metadata()).toMatchObject({ format: 'png', width: 64, height: 64 });
    expect(await firstPixel(flat)).toEqual([...RED]);
  });

  it.each(['webp', 'gif'] as const)('flattens an animated %s to its first frame', async (format) => {
    const flat = await firstFrameOnly(format === 'webp' ? animatedWebp : animatedGif, 4096 * 4096);
    expect(countFrames(flat)).toBe(1);
    expect(await sharp(flat, { animated: true }).metadata()).toMatchObject({ format: 'png', width: 16, height: 12 });
    expect(await firstPixel(flat)).toEqual([...RED]);
  });

  it('refuses the 4096×4096 garbage bomb cleanly, whether or not the pixel limit lets it through', async () => {
    for (const maxPixels of [4096 * 4096, 2048 * 2048]) {
      const error = await firstFrameOnly(apngBomb(), maxPixels).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(UserError);
      expect(error).toMatchObject({ id: 'image.undecodable' });
    }
  });
});

describe('fetchInputImage with animations', () => {
  const served = new Map<string, Buffer>();
  let server: Server;
  let host: string;

  beforeAll(async () => {
    server = createServer((request, response) => {
      const body = served.get(request.url ?? '');
      response.writeHead(body ? 200 : 404).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    host = `127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  function fetchServed(name: string, bytes: Buffer) {
    served.set(`/${name}`, bytes);
    return fetchInputImage(
      { url: `http://${host}/${name}`, name, size: bytes.length, contentType: null },
      { maxBytes: 1024 * 1024, maxSide: 4096, allowedHosts: [host] },
    );
  }

  it('keeps single-frame images byte for byte', async () => {
    for (const [name, bytes, extension] of [['a.png', png, 'png'], ['a.jpg', jpeg, 'jpg'], ['a.webp', stillWebp, 'webp']] as const) {
      const image = await fetchServed(name, bytes);
      expect(image.extension).toBe(extension);
      expect(image.bytes.equals(bytes)).toBe(true);
    }
  });

  it.each([['apng.png', () => apng64, 64, 64], ['anim.webp', () => animatedWebp, 16, 12]] as const)('uploads only the first frame of %s, as PNG', async (name, bytes, width, height) => {
    const image = await fetchServed(name, bytes());
    expect(image.extension).toBe('png');
    expect(countFrames(image.bytes)).toBe(1);
    expect(await sharp(image.bytes, { animated: true }).metadata()).toMatchObject({ format: 'png', width, height });
  });

  it('refuses the 4096×4096 garbage APNG as undecodable', async () => {
    await expect(fetchServed('bomb.png', apngBomb())).rejects.toMatchObject({ name: 'UserError', id: 'image.undecodable' });
  });
});

describe('MPO (multi-picture JPEG)', () => {
  it('is seen as more than one frame, so it is flattened before upload', async () => {
    const { default: sharp } = await import('sharp');
    const { countFrames } = await import('../../src/discord/frames.js');
    const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: 'red' } }).jpeg().toBuffer();
    // An APP2 MPF segment right after SOI, as an MPO carries it (its index is irrelevant here).
    const mpf = Buffer.concat([Buffer.from([0xff, 0xe2, 0x00, 0x0a]), Buffer.from('MPF\0', 'latin1'), Buffer.alloc(4)]);
    const mpo = Buffer.concat([jpeg.subarray(0, 2), mpf, jpeg.subarray(2)]);
    expect(countFrames(jpeg)).toBe(1);
    expect(countFrames(mpo)).toBe(2);
  });
});

describe('MPO hidden behind junk or fill bytes', () => {
  it('is still seen, as decoders skip those bytes before the APP2 segment', async () => {
    const { default: sharp } = await import('sharp');
    const { countFrames } = await import('../../src/discord/frames.js');
    const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: 'red' } }).jpeg().toBuffer();
    const mpf = Buffer.concat([Buffer.from([0xff, 0xe2, 0x00, 0x0a]), Buffer.from('MPF\0', 'latin1'), Buffer.alloc(4)]);
    for (const junk of [Buffer.from([0x00]), Buffer.from([0xff]), Buffer.from([0xff, 0xff, 0x12])]) {
      expect(countFrames(Buffer.concat([jpeg.subarray(0, 2), junk, mpf, jpeg.subarray(2)]))).toBe(2);
    }
  });
});
