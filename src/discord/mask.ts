import sharp from 'sharp';
import { UserError } from './user-error.js';

/**
 * A member's mask (white = repaint, black = keep; grey in between; a transparent area counts as black) turned
 * into what ComfyUI's /upload/mask takes: a PNG of the picture's own size whose alpha is 0 where to repaint.
 * ComfyUI copies that alpha onto the picture, and LoadImage's MASK is 1 − alpha.
 */
export async function alphaMask(mask: Buffer, picture: Buffer): Promise<Buffer> {
  const { width, height } = await sharp(picture).metadata();
  if (!width || !height) throw new UserError('image.undecodable');
  const coverage = await sharp(mask).flatten({ background: '#000000' }).resize(width, height, { fit: 'fill' }).greyscale().raw().toBuffer();
  if (!coverage.some((value) => value > 127)) throw new UserError('mask.empty');
  const keep = Buffer.from(coverage.map((value) => 255 - value));
  return sharp({ create: { width, height, channels: 3, background: '#000000' } })
    .joinChannel(keep, { raw: { width, height, channels: 1 } })
    .png()
    .toBuffer();
}
