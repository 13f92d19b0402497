/**
 * Counts the frames of an image from its own chunk structure, without decoding a pixel. ComfyUI's LoadImage
 * decodes every frame PIL finds, so an animation must be flattened before it is uploaded. Every walk below
 * advances by at least one byte per step and reads nothing past the end, so lying lengths and truncated files
 * end the walk early instead of throwing or looping.
 */

export type FrameFormat = 'png' | 'webp' | 'gif' | 'jpeg' | 'unknown';

export interface FrameInfo {
  format: FrameFormat;
  frames: number;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function countFrames(bytes: Buffer): number {
  return frameInfo(bytes).frames;
}

export function frameInfo(bytes: Buffer): FrameInfo {
  if (bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return { format: 'png', frames: pngFrames(bytes) };
  if (bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') {
    return { format: 'webp', frames: webpFrames(bytes) };
  }
  const magic = bytes.toString('latin1', 0, 6);
  if (magic === 'GIF87a' || magic === 'GIF89a') return { format: 'gif', frames: gifFrames(bytes) };
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xd8) return { format: 'jpeg', frames: jpegFrames(bytes) };
  return { format: 'unknown', frames: 1 };
}

/**
 * JPEG: an MPO (multi-picture) file announces its pictures in an APP2 `MPF` segment, and its index entries may all
 * point at one stored picture, so the file size does not bound them (PIL decodes each): counted as 2, enough to
 * flatten.
 */
function jpegFrames(bytes: Buffer): number {
  // Searched in the raw bytes, not by walking markers: decoders skip junk and fill bytes a strict walk stops at.
  const signature = Buffer.from('MPF\0', 'latin1');
  for (let at = bytes.indexOf(signature); at >= 0; at = bytes.indexOf(signature, at + 1)) {
    if (at >= 4 && bytes[at - 4] === 0xff && bytes[at - 3] === 0xe2) return 2;
  }
  return 1;
}

/** APNG: `acTL.num_frames`, which only counts (for PIL too) when acTL comes before the first IDAT. */
function pngFrames(bytes: Buffer): number {
  let offset = PNG_SIGNATURE.length;
  while (offset + 8 <= bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    if (type === 'IDAT' || type === 'IEND') break;
    const data = offset + 8;
    if (type === 'acTL') return data + 4 <= bytes.length ? Math.max(1, bytes.readUInt32BE(data)) : 1;
    offset = data + length + 4;
  }
  return 1;
}

/**
 * Counts top-level ANMF chunks whether or not the VP8X animation flag is set: a cleared flag must not hide frames.
 * Chunks are walked to the end of the buffer rather than the RIFF size, which may lie.
 */
function webpFrames(bytes: Buffer): number {
  let offset = 12;
  let frames = 0;
  while (offset + 8 <= bytes.length) {
    if (bytes.toString('latin1', offset, offset + 4) === 'ANMF') frames++;
    const size = bytes.readUInt32LE(offset + 4);
    offset += 8 + size + (size % 2);
  }
  return Math.max(1, frames);
}

/** Counts image descriptors, skipping colour tables, extensions and data sub-blocks; stops at the trailer or garbage. */
function gifFrames(bytes: Buffer): number {
  const screenFlags = bytes[10] ?? 0;
  let offset = 13 + colourTableSize(screenFlags);
  let frames = 0;
  while (offset < bytes.length) {
    const introducer = bytes[offset];
    if (introducer === 0x21) {
      offset = skipSubBlocks(bytes, offset + 2);
    } else if (introducer === 0x2c) {
      frames++;
      const imageFlags = bytes[offset + 9] ?? 0;
      // Descriptor (10 bytes), local colour table, then the LZW minimum code size byte before the data.
      offset = skipSubBlocks(bytes, offset + 10 + colourTableSize(imageFlags) + 1);
    } else {
      break;
    }
  }
  return Math.max(1, frames);
}

function colourTableSize(flags: number): number {
  return flags & 0x80 ? 3 * 2 ** ((flags & 0x07) + 1) : 0;
}

/** Returns the offset just past the zero-length terminator (or the end of the buffer if it is missing). */
function skipSubBlocks(bytes: Buffer, offset: number): number {
  let at = offset;
  while (at < bytes.length) {
    const size = bytes[at] ?? 0;
    at += 1 + size;
    if (size === 0) return at;
  }
  return bytes.length;
}
