import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DiscordHttpError, DiscordUploader } from '../../src/discord/uploader.js';

type Answer = 'reset' | number;

let server: Server | undefined;
let uploader: DiscordUploader | undefined;
afterEach(async () => {
  await uploader?.close();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  uploader = undefined;
});

/** A Discord stand-in answering each request in turn: a status, or a connection dropped after the body arrived. */
async function serve(answers: Answer[]): Promise<{ bodies: unknown[] }> {
  const bodies: unknown[] = [];
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      const answer = answers.shift() ?? 200;
      if (answer === 'reset') return void req.socket.destroy();
      res.writeHead(answer, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer < 400 ? { id: '1' } : { message: 'Bad Gateway', code: 0 }));
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', () => resolve()));
  uploader = new DiscordUploader({ apiBase: `http://127.0.0.1:${(server?.address() as AddressInfo).port}/api`, botToken: 'x' });
  return { bodies };
}

const withNonce = { content: 'hi', nonce: 'r:abc', enforce_nonce: true };

describe('DiscordUploader POST retries', () => {
  it('retries a POST carrying enforce_nonce after a 5xx or a dropped connection (Discord dedupes it)', async () => {
    const seen = await serve([502, 'reset', 200]);
    expect(await uploader?.send('POST', '/channels/1/messages', { body: withNonce, auth: true })).toEqual({ id: '1' });
    expect(seen.bodies).toEqual([withNonce, withNonce, withNonce]);
  });

  it('does not retry a POST without enforce_nonce: it may have gone through', async () => {
    const seen = await serve([502]);
    await expect(uploader?.send('POST', '/channels/1/messages', { body: { content: 'hi' }, auth: true })).rejects.toBeInstanceOf(DiscordHttpError);
    expect(seen.bodies).toHaveLength(1);
    const reset = await serveAgain(['reset']);
    await expect(uploader?.send('POST', '/channels/1/messages', { body: { content: 'hi', nonce: 'r:abc' }, auth: true })).rejects.toThrow();
    expect(reset.bodies).toHaveLength(1);
  });
});

async function serveAgain(answers: Answer[]): Promise<{ bodies: unknown[] }> {
  await uploader?.close();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  return serve(answers);
}
