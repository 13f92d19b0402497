import sharp from 'sharp';

/** A tiny deterministic PRNG (mulberry32) so generated pictures are reproducible per seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function noise(width: number, height: number, seed: number): Buffer {
  const random = seededRandom(seed);
  const raw = Buffer.alloc(width * height * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = Math.floor(random() * 256);
  return raw;
}

export interface FrameSpec {
  width: number;
  height: number;
  seed: number;
}

/** Noise compresses badly, so a PNG of W×H noise is about W·H·3 bytes: that is how a test picks a file size. */
export async function makePng({ width, height, seed }: FrameSpec): Promise<Buffer> {
  return sharp(noise(width, height, seed), { raw: { width, height, channels: 3 } }).png({ compressionLevel: 1 }).toBuffer();
}

export async function makeJpeg({ width, height, seed }: FrameSpec): Promise<Buffer> {
  return sharp(noise(width, height, seed), { raw: { width, height, channels: 3 } }).jpeg({ quality: 80 }).toBuffer();
}

async function frames(spec: FrameSpec, count: number): Promise<Buffer[]> {
  return Promise.all(Array.from({ length: count }, (_, index) => makePng({ ...spec, seed: spec.seed + index })));
}

export async function makeAnimation(spec: FrameSpec, frameCount: number, format: 'gif' | 'webp', fps: number): Promise<Buffer> {
  const image = sharp(await frames(spec, frameCount), { join: { animated: true } });
  const delay = Math.round(1000 / Math.max(1, fps));
  return format === 'gif' ? image.gif({ loop: 0, delay }).toBuffer() : image.webp({ loop: 0, delay, quality: 80 }).toBuffer();
}

/** An MP4-named file: a real `ftyp` box followed by filler; players won't play it, but every byte path is exercised. */
export function makeMp4Named(sizeBytes: number, seed: number): Buffer {
  const ftyp = Buffer.from([0, 0, 0, 24, ...Buffer.from('ftypisom'), 0, 0, 2, 0, ...Buffer.from('isomiso2')]);
  const filler = noise(Math.max(1, Math.ceil((sizeBytes - ftyp.length) / 3)), 1, seed).subarray(0, Math.max(0, sizeBytes - ftyp.length));
  return Buffer.concat([ftyp, filler]);
}
