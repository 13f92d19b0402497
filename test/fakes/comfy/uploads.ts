import sharp from 'sharp';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendEmpty, sendJson, sendServerError } from './http-util.js';
import { fileKey, type SimState } from './state.js';

const TYPES = new Set(['input', 'temp', 'output']);

function parseRef(text: string): { filename: string; subfolder: string; type: string } | undefined {
  try {
    const ref: unknown = JSON.parse(text);
    if (!ref || typeof ref !== 'object' || !('filename' in ref) || typeof ref.filename !== 'string' || escapes(ref.filename)) return undefined;
    const subfolder = 'subfolder' in ref && typeof ref.subfolder === 'string' ? ref.subfolder : '';
    const type = 'type' in ref && typeof ref.type === 'string' ? ref.type : 'output';
    return escapes(subfolder) ? undefined : { filename: ref.filename, subfolder, type };
  } catch {
    return undefined;
  }
}

/** PIL's putalpha: the original in RGBA with the mask's alpha; sizes must match (ComfyUI answers 500 otherwise). */
async function withAlphaOf(original: Buffer, mask: Buffer): Promise<Buffer | undefined> {
  const base = await sharp(original).metadata();
  const shape = await sharp(mask).metadata();
  if (base.width !== shape.width || base.height !== shape.height || !base.width || !base.height) return undefined;
  const alpha = await sharp(mask).ensureAlpha().extractChannel(3).raw().toBuffer();
  // Two pipelines: sharp would drop the alpha after joining it if both happened in one.
  const rgb = await sharp(original).removeAlpha().raw().toBuffer();
  const raw = { width: base.width, height: base.height };
  return sharp(rgb, { raw: { ...raw, channels: 3 } }).joinChannel(alpha, { raw: { ...raw, channels: 1 } }).png().toBuffer();
}

function escapes(path: string): boolean {
  return path.startsWith('/') || path.split(/[\\/]/).includes('..');
}

function withSuffix(filename: string, n: number): string {
  const dot = filename.lastIndexOf('.');
  return dot > 0 ? `${filename.slice(0, dot)} (${n})${filename.slice(dot)}` : `${filename} (${n})`;
}

/** POST /upload/image and /upload/mask, with ComfyUI's duplicate handling (same bytes reuse, else `name (1).png`). */
export async function handleUpload(state: SimState, req: IncomingMessage, res: ServerResponse, body: Buffer, mask: boolean): Promise<void> {
  let form: FormData;
  try {
    form = await new Response(body, { headers: { 'content-type': String(req.headers['content-type'] ?? '') } }).formData();
  } catch {
    sendEmpty(res, 400);
    return;
  }
  const image = form.get('image');
  if (!(image instanceof File) || image.name === '') {
    sendEmpty(res, 400);
    return;
  }
  const type = String(form.get('type') ?? 'input') || 'input';
  if (!TYPES.has(type)) {
    sendServerError(res);
    return;
  }
  const subfolder = String(form.get('subfolder') ?? '');
  if (escapes(image.name) || image.name.includes('/') || escapes(subfolder)) {
    sendEmpty(res, 400);
    return;
  }
  if (mask && form.get('original_ref') === null) {
    sendServerError(res);
    return;
  }
  const bytes = Buffer.from(await image.arrayBuffer());
  const overwrite = ['true', '1'].includes(String(form.get('overwrite') ?? ''));
  let name = image.name;
  for (let n = 1; !overwrite; n++) {
    const existing = state.files.get(fileKey(type, subfolder, name));
    if (!existing || existing.equals(bytes)) break;
    name = withSuffix(image.name, n);
  }
  if (mask) {
    // As ComfyUI does: the mask's alpha is copied onto the original it names, saved under the upload's name. A
    // reference that names nothing still answers 200 and writes nothing (ComfyUI's own bug, kept on purpose).
    const ref = parseRef(String(form.get('original_ref')));
    state.maskUploads.push({ name, subfolder, originalRef: ref, mask: bytes });
    const original = ref && state.files.get(fileKey(ref.type, ref.subfolder, ref.filename));
    if (original) {
      const composed = await withAlphaOf(original, bytes);
      if (!composed) {
        sendServerError(res);
        return;
      }
      state.files.set(fileKey(type, subfolder, name), composed);
    }
    sendJson(res, 200, { name, subfolder, type });
    return;
  }
  state.files.set(fileKey(type, subfolder, name), bytes);
  sendJson(res, 200, { name, subfolder, type });
}
