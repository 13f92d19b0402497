import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { secretsOf } from '../src/config.js';
import { createLogger, scrub as scrubLog } from '../src/log.js';
import { clip, createScrubber, redactSensitiveParams, scrub, secretForms } from '../src/secrets.js';

function memoryLogger(secrets: readonly string[]) {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger({ level: 'info', secrets, destination }), output: () => lines.join('') };
}

/** Every piece of the secret long enough to identify it. */
function piecesOf(secret: string, length = 5): string[] {
  return Array.from({ length: secret.length - length + 1 }, (_, start) => secret.slice(start, start + length));
}

describe('secrets', () => {
  it('keeps a password with quotes and backslashes out of pino lines, escaped once or twice', () => {
    const password = 'pa"ss\\wo"rd!';
    const { logger, output } = memoryLogger([password]);
    logger.info({ login: { password }, body: JSON.stringify({ password }) }, 'logging in');
    logger.error({ err: new Error(`login refused for ${password}`) }, `failed with ${password}`);
    const text = output();
    expect(text).toContain('[redacted]');
    expect(text.split('\n').filter(Boolean)).toHaveLength(2);
    for (const piece of [...piecesOf(password), ...piecesOf(JSON.stringify(password).slice(1, -1))]) expect(text).not.toContain(piece);
  });

  it('redacts percent-encoded forms, whichever encoder wrote them', () => {
    const password = 'p@ss$w rd!';
    const forms = secretForms([password]);
    const url = new URL('http://gpu/x');
    url.username = 'admin';
    url.password = password;
    const query = new URLSearchParams({ next: password }).toString();
    const text = `login ${url.href} then /back?to=${encodeURIComponent(password)}&${query} or ${encodeURIComponent(password).toLowerCase()}`;
    const scrubbed = scrub(text, forms);
    expect(scrubbed).toBe('login http://admin:[redacted]@gpu/x then /back?to=[redacted]&next=[redacted] or [redacted]');
  });

  it('redacts the base64 Basic auth header of URL credentials and of a configured Authorization header', () => {
    const secrets = secretsOf({ COMFYUI_URL: ['http://admin:pw12@gpu:8188'], COMFYUI_HEADERS: { Authorization: `Basic ${btoa('bob:s3cr3t-pass')}` } });
    expect(secrets).toContain('admin:pw12');
    const scrub = createScrubber(secrets);
    expect(scrub(`authorization: Basic ${btoa('admin:pw12')}`)).toBe('authorization: Basic [redacted]');
    expect(scrub(`sent Basic ${btoa('bob:s3cr3t-pass')} as bob:s3cr3t-pass, password s3cr3t-pass`)).toBe('sent [redacted] as [redacted], password [redacted]');
  });

  it('redacts Bearer tokens from header values', () => {
    const scrub = createScrubber(secretsOf({ COMFYUI_HEADERS: { Authorization: 'Bearer tok-123456' } }));
    expect(scrub('authorization: Bearer tok-123456; token alone tok-123456')).toBe('authorization: [redacted]; token alone [redacted]');
  });

  it('redacts sensitive query parameters and URL passwords even when not configured', () => {
    expect(redactSensitiveParams('GET http://gpu/view?a=1&token=abc&Access_Token=xyz&key=k1#query_token=q2 ok')).toBe(
      'GET http://gpu/view?a=1&token=[redacted]&Access_Token=[redacted]&key=[redacted]#query_token=[redacted] ok',
    );
    expect(redactSensitiveParams('"url":"http://gpu/p?monkey=1&tokens=2&api_key=zz"')).toBe('"url":"http://gpu/p?monkey=1&tokens=2&api_key=[redacted]"');
    expect(redactSensitiveParams('fetch https://admin:p@ss@gpu:8188/x failed, see http://host:8188/y')).toBe('fetch https://admin:[redacted]@gpu:8188/x failed, see http://host:8188/y');
  });

  it('redacts a 4-character password everywhere, and shorter ones in their credential contexts only', () => {
    const scrub = createScrubber(secretsOf({ COMFYUI_URL: ['http://u:abcd@gpu', 'http://v:xy@gpu2'] }));
    expect(scrub('password abcd in text')).toBe('password [redacted] in text');
    expect(scrub('xy is everywhere: xylophone')).toBe('xy is everywhere: xylophone');
    expect(scrub('http://v:xy@gpu2/x?token=xy')).toBe('http://[redacted]@gpu2/x?token=[redacted]');
    expect(scrub('http://w:xy@gpu3/')).toBe('http://w:[redacted]@gpu3/');
    expect(scrub(`Basic ${btoa('v:xy')}`)).toBe('Basic [redacted]');
  });

  it('leaves no part of a secret when the text is scrubbed before it is cut', () => {
    const secret = 'sk-comfy-7f3a9c2e5b1d4f6a8c0e';
    const body = `${'x'.repeat(190)}${secret}${'y'.repeat(100)}`;
    const forms = secretForms([secret]);
    const cutFirst = body.slice(0, 200);
    expect(scrub(cutFirst, forms)).toContain(secret.slice(0, 10));
    expect(scrub(body, forms).slice(0, 200)).not.toContain(secret.slice(0, 4));
  });

  it('redacts overlapping occurrences as one, leaving no tail', () => {
    expect(scrub('xabcdefghiy', ['abcdef', 'defghi'])).toBe('x[redacted]y');
    expect(scrub('abcdef abcdef', ['abcdef'])).toBe('[redacted] [redacted]');
  });

  it('still redacts plain secrets through log.ts', () => {
    expect(scrubLog('token is abcdefgh, again abcdefgh.', ['abcdefgh'])).toBe('token is [redacted], again [redacted].');
    expect(scrubLog('nothing here', [])).toBe('nothing here');
  });

  it('stays fast on long text', () => {
    const scrub = createScrubber(['MTI3NjU0MzIxMDk4NzY1NDMy.GxYzAb.abcdef', 'hunter2-Correct-Horse', 'admin:hunter2-Correct-Horse', 'pa"ss\\word']);
    const text = `${'a'.repeat(500_000)} ${Buffer.alloc(300_000, 7).toString('base64')} hunter2-Correct-Horse`;
    const started = performance.now();
    expect(scrub(text).endsWith(' [redacted]')).toBe(true);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe('a secret near a cut', () => {
  it('is never split by clip(): the cut falls on a separator, so the secret is whole (and scrubbed) or absent', () => {
    const secret = 'sk-live-1234567890abcdef';
    const scrubber = createScrubber([secret]);
    for (let pad = 170; pad < 210; pad++) {
      const line = JSON.stringify({ msg: `ComfyUI answered 500: ${clip(`${'y '.repeat(pad / 2)}token ${secret} and more`, 200)}` });
      const scrubbed = scrubber(line);
      for (let length = 4; length <= secret.length; length++) expect(scrubbed).not.toContain(secret.slice(0, length));
    }
  });

  it('redacts nothing a member can steer: a guessed prefix followed by an ellipsis stays as typed', () => {
    const scrubber = createScrubber(['sk-live-1234567890abcdef']);
    // (An earlier rule redacted any secret prefix before "…", which let a member read a secret one character at a time.)
    expect(scrubber('sk-live-1… sk-live-2…')).toBe('sk-live-1… sk-live-2…');
  });

  it('redacts interaction tokens in webhook and callback routes', () => {
    const scrubber = createScrubber([]);
    expect(scrubber('PATCH /api/v10/webhooks/1300000000000000001/aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEy/messages/@original'))
      .toBe('PATCH /api/v10/webhooks/1300000000000000001/[redacted]/messages/@original');
    expect(scrubber('/interactions/1300000000000000001/aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEy/callback')).toBe('/interactions/1300000000000000001/[redacted]/callback');
  });
});
