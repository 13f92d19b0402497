import { extname } from 'node:path';
import sharp from 'sharp';
import { TooLargeError } from './user-error.js';

export interface OutgoingFile {
  name: string;
  bytes: Buffer;
}

export interface FittedFile extends OutgoingFile {
  /** It was re-encoded or scaled down to fit. */
  shrunk: boolean;
}

const MIN_SIDE = 64;
const SCALE_STEP = 0.8;

function renamed(name: string, extension: string): string {
  const current = extname(name);
  return `${current ? name.slice(0, -current.length) : name}.${extension}`;
}

/** Still images: JPEG (or WebP when there is transparency) at shrinking sizes until it fits. */
async function fitStill(file: OutgoingFile, limit: number): Promise<FittedFile | undefined> {
  const meta = await sharp(file.bytes).metadata();
  const extension = meta.hasAlpha ? 'webp' : 'jpg';
  const width = meta.width ?? MIN_SIDE;
  for (let scale = 1; width * scale >= MIN_SIDE; scale *= SCALE_STEP) {
    const image = sharp(file.bytes).resize({ width: Math.round(width * scale) });
    const bytes = await (meta.hasAlpha ? image.webp({ quality: 85 }) : image.jpeg({ quality: 85, mozjpeg: true })).toBuffer();
    if (bytes.length <= limit) return { name: renamed(file.name, extension), bytes, shrunk: true };
  }
  return undefined;
}

/** Animations: every frame scaled down together, keeping the format (GIF stays GIF so it plays inline). */
async function fitAnimation(file: OutgoingFile, limit: number, format: 'gif' | 'webp'): Promise<FittedFile | undefined> {
  const meta = await sharp(file.bytes, { animated: true }).metadata();
  const width = meta.width ?? MIN_SIDE;
  for (let scale = SCALE_STEP; width * scale >= MIN_SIDE; scale *= SCALE_STEP) {
    const image = sharp(file.bytes, { animated: true }).resize({ width: Math.round(width * scale) });
    const bytes = await (format === 'gif' ? image.gif({ effort: 7, colours: 128 }) : image.webp({ quality: 70 })).toBuffer();
    if (bytes.length <= limit) return { name: file.name, bytes, shrunk: true };
  }
  return undefined;
}

/**
 * Makes a file fit Discord's upload limit: smaller images, smaller animation frames. Video and other files
 * cannot be re-encoded here; anything that still does not fit throws TooLargeError.
 */
export async function fitToLimit(file: OutgoingFile, limit: number): Promise<FittedFile> {
  if (file.bytes.length <= limit) return { ...file, shrunk: false };
  const extension = extname(file.name).toLowerCase();
  let fitted: FittedFile | undefined;
  if (extension === '.gif') fitted = await fitAnimation(file, limit, 'gif');
  else if (extension === '.webp' && ((await sharp(file.bytes, { animated: true }).metadata()).pages ?? 1) > 1) fitted = await fitAnimation(file, limit, 'webp');
  else if (['.png', '.jpg', '.jpeg', '.webp', '.bmp'].includes(extension)) fitted = await fitStill(file, limit);
  if (!fitted) throw new TooLargeError(file.bytes.length, limit);
  return fitted;
}
