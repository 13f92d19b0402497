import type { Metadata } from 'sharp';
import { request } from 'undici';
import type { InputImage } from '../comfy/runner.js';
import { countFrames } from './frames.js';
import { formatBytes } from './messages.js';
import { UserError } from './user-error.js';

export interface AttachmentInfo {
  url: string;
  name: string;
  size: number;
  contentType: string | null;
}

export interface InputImageLimits {
  maxBytes: number;
  maxSide: number;
  allowedHosts: readonly string[];
}

const FORMATS: Readonly<Record<string, string>> = { png: 'png', jpeg: 'jpg', webp: 'webp' };

/** Hosts match exactly or as a subdomain; loopback hosts are allowed only when listed (the fake Discord). */
function allowedHost(url: URL, hosts: readonly string[]): boolean {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return false;
  return hosts.some((host) => {
    const [name, port] = host.split(':');
    const hostMatches = url.hostname === name || url.hostname.endsWith(`.${name}`);
    return hostMatches && (port === undefined || url.port === port);
  });
}

/** Downloads any attachment from Discord (allowed hosts only, within `maxBytes`): a workflow file, say. */
export async function fetchAttachment(attachment: AttachmentInfo, limits: Omit<InputImageLimits, 'maxSide'>, signal?: AbortSignal): Promise<Buffer> {
  if (attachment.size > limits.maxBytes) throw new UserError('image.tooBig', { size: formatBytes(attachment.size), limit: formatBytes(limits.maxBytes) });
  let url: URL;
  try {
    url = new URL(attachment.url);
  } catch {
    throw new UserError('image.host');
  }
  if (!allowedHost(url, limits.allowedHosts)) throw new UserError('image.host');
  return download(url, limits.maxBytes, signal);
}

/**
 * Downloads a member's attachment from its interaction URL (allowed hosts only) and refuses anything that is
 * not a decodable PNG, JPEG or WebP within the size and dimension limits. Dimensions are read from the header,
 * so a 50000×50000 bomb is refused before any pixel is decoded. An animation (APNG, animated WebP) comes back
 * as a PNG of its first frame; a single-frame image comes back byte for byte.
 */
export async function fetchInputImage(attachment: AttachmentInfo, limits: InputImageLimits, signal?: AbortSignal): Promise<InputImage> {
  if (attachment.size === 0) throw new UserError('image.empty');
  if (attachment.size > limits.maxBytes) throw new UserError('image.tooBig', { size: formatBytes(attachment.size), limit: formatBytes(limits.maxBytes) });
  if (attachment.contentType && !attachment.contentType.startsWith('image/')) throw new UserError('image.type', { type: attachment.contentType });
  const bytes = await fetchAttachment(attachment, limits, signal);
  if (bytes.length === 0) throw new UserError('image.empty');
  const header = pngDimensions(bytes);
  if (header && (header.width > limits.maxSide || header.height > limits.maxSide)) {
    throw new UserError('image.tooManyPixels', { width: header.width, height: header.height, max: limits.maxSide });
  }
  // sharp (libvips) is loaded on first use, so a bot that only queues text prompts stays small.
  const sharp = (await import('sharp')).default;
  let meta: Metadata;
  try {
    // Header only, so no pixel limit applies yet: the dimensions are checked below, before any decoding.
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    throw new UserError('image.undecodable');
  }
  const extension = meta.format ? FORMATS[meta.format] : undefined;
  if (!extension) throw new UserError('image.type', { type: meta.format ? `a ${meta.format.toUpperCase()} file` : 'an unknown format' });
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (width > limits.maxSide || height > limits.maxSide) throw new UserError('image.tooManyPixels', { width, height, max: limits.maxSide });
  try {
    await sharp(bytes, { failOn: 'truncated' }).stats();
  } catch {
    throw new UserError('image.undecodable');
  }
  if (countFrames(bytes) > 1 || (meta.pages ?? 1) > 1) return { bytes: await firstFrameOnly(bytes, limits.maxSide ** 2), extension: 'png' };
  return { bytes, extension };
}

/**
 * Re-encodes the first frame alone as PNG. ComfyUI's LoadImage decodes every frame it finds, so a small file
 * claiming a thousand large frames would cost it gigabytes. For an APNG, sharp reads only the default image.
 */
export async function firstFrameOnly(bytes: Buffer, maxPixels: number): Promise<Buffer> {
  const sharp = (await import('sharp')).default;
  try {
    return await sharp(bytes, { pages: 1, limitInputPixels: maxPixels, failOn: 'truncated' }).png().toBuffer();
  } catch {
    throw new UserError('image.undecodable');
  }
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A PNG's size straight from its IHDR, so a bomb is refused without handing it to any decoder. */
function pngDimensions(bytes: Buffer): { width: number; height: number } | undefined {
  if (bytes.length < 24 || !bytes.subarray(0, 8).equals(PNG_SIGNATURE) || bytes.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

async function download(url: URL, maxBytes: number, signal?: AbortSignal): Promise<Buffer> {
  let response;
  try {
    response = await request(url, { method: 'GET', signal: signal ?? AbortSignal.timeout(30_000) });
  } catch (error) {
    throw new UserError('image.download', { reason: (error as Error).message });
  }
  if (response.statusCode !== 200) {
    await response.body.dump();
    throw new UserError('image.download', { reason: `HTTP ${response.statusCode}` });
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of response.body) {
    total += (chunk as Buffer).length;
    if (total > maxBytes) {
      response.body.destroy();
      throw new UserError('image.tooBig', { size: `more than ${formatBytes(maxBytes)}`, limit: formatBytes(maxBytes) });
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
