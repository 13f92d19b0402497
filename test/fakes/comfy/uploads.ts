import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendEmpty, sendJson, sendServerError } from './http-util.js';
import { fileKey, type SimState } from './state.js';

const TYPES = new Set(['input', 'temp', 'output']);

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
  state.files.set(fileKey(type, subfolder, name), bytes);
  sendJson(res, 200, { name, subfolder, type });
}
