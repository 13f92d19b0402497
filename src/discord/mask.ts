import sharp from 'sharp';
import type { InputImage } from '../comfy/runner.js';
import { UserError } from './user-error.js';

/** How far the mask's shape may differ from the picture's before it is refused rather than stretched. */
const SHAPE_TOLERANCE = 0.02;

/**
 * The picture and its mask as /upload/mask needs them. A phone photo is stored sideways with an EXIF orientation;
 * ComfyUI's mask upload ignores it (LoadImage alone turns it upright), so the picture is turned upright here, and
 * the mask (turned upright too) is made to its size.
 */
export async function forInpainting(picture: InputImage, mask: Buffer): Promise<InputImage & { mask: Buffer }> {
  const { orientation } = await sharp(picture.bytes).metadata();
  const upright = orientation !== undefined && orientation > 1 ? { bytes: await sharp(picture.bytes).rotate().png().toBuffer(), extension: 'png' } : picture;
  return { ...upright, mask: await alphaMask(mask, upright.bytes) };
}

/**
 * A member's mask (white = repaint, black = keep; grey in between; a transparent area counts as black) turned
 * into what ComfyUI's /upload/mask takes: a PNG of the picture's own size whose alpha is 0 where to repaint.
 * ComfyUI copies that alpha onto the picture, and LoadImage's MASK is 1 − alpha.
 */
export async function alphaMask(mask: Buffer, picture: Buffer): Promise<Buffer> {
  const { width, height } = await sharp(picture).metadata();
  if (!width || !height) throw new UserError('image.undecodable');
  const painted = await sharp(mask).rotate().toBuffer({ resolveWithObject: true });
  const shape = painted.info.width / painted.info.height;
  if (Math.abs(shape - width / height) > SHAPE_TOLERANCE * (width / height)) {
    throw new UserError('mask.shape', { mask: `${painted.info.width}×${painted.info.height}`, picture: `${width}×${height}` });
  }
  const coverage = await sharp(painted.data).flatten({ background: '#000000' }).resize(width, height, { fit: 'fill' }).greyscale().raw().toBuffer();
  if (!coverage.some((value) => value > 127)) throw new UserError('mask.empty');
  const keep = Buffer.from(coverage.map((value) => 255 - value));
  return sharp({ create: { width, height, channels: 3, background: '#000000' } })
    .joinChannel(keep, { raw: { width, height, channels: 1 } })
    .png()
    .toBuffer();
}
