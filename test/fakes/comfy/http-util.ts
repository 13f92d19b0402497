import type { IncomingMessage, ServerResponse } from 'node:http';

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** aiohttp's `web.Response(status=N)`: an empty body typed application/octet-stream (as captured). */
export function sendEmpty(res: ServerResponse, status = 200): void {
  res.writeHead(status, { 'content-type': 'application/octet-stream', 'content-length': 0 });
  res.end();
}

/** aiohttp's generic error page, which ComfyUI returns for bodies it cannot parse. */
export function sendServerError(res: ServerResponse): void {
  const text = '500 Internal Server Error\n\nServer got itself in trouble';
  res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return 'too-large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** `await request.json()` without a try/except: anything unparsable is a 500 in ComfyUI. */
export function parseJsonBody(body: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

const MIME: Record<string, string> = {
  '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp', '.gif': 'image/gif',
  '.mp4': 'video/mp4', '.webm': 'video/webm', '.flac': 'audio/flac', '.mp3': 'audio/mpeg', '.json': 'application/json',
};

export function mimeOf(filename: string): string {
  const dot = filename.lastIndexOf('.');
  return MIME[dot >= 0 ? filename.slice(dot).toLowerCase() : ''] ?? 'application/octet-stream';
}
