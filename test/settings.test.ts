import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BotConfigSchema } from '../src/config.js';
import { readSettings } from '../src/settings.js';

const TOKEN = `${'a'.repeat(24)}.${'b'.repeat(6)}.${'c'.repeat(38)}`;
let dir: string;
let env: Record<string, string>;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'settings-'));
  env = { DISCORD_TOKEN: TOKEN, DISCORD_APP_ID: '123456789012345678', CONFIG_FILE: '' };
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Reads as the bot does at start, then as each reload does (keeping the file the running settings came from). */
function reader(path: string) {
  const process = { ...env, CONFIG_FILE: path };
  let keep: ReturnType<typeof readSettings>['file'];
  return (): ReturnType<typeof readSettings> => {
    const result = readSettings(BotConfigSchema, process, { keep });
    if (result.ok) keep = result.file;
    return result;
  };
}

describe('reading config.yaml again', () => {
  it('goes on from a file that was empty at start', async () => {
    const file = join(dir, 'config.yaml');
    await writeFile(file, '');
    const read = reader(file);
    expect(read().ok).toBe(true);
    expect(read().ok).toBe(true);
    await writeFile(file, 'banned_words: [dragon]\n');
    const next = read();
    expect(next.ok && next.config.BANNED_WORDS).toEqual(['dragon']);
  });

  it('refuses to drop a file once settings came from it: deleted, or emptied', async () => {
    const file = join(dir, 'config.yaml');
    await writeFile(file, 'banned_words: [dragon]\n');
    const read = reader(file);
    expect(read().ok).toBe(true);
    await writeFile(file, '');
    expect(read()).toEqual({ ok: false, problems: [`${file} is empty; to go back to every default on purpose, leave a comment line in it (# defaults)`] });
    await writeFile(file, '# defaults\n');
    expect(read().ok).toBe(true);
    await rm(file);
    expect(read()).toEqual({ ok: false, problems: [`${file} is gone (the running settings came from it); put it back, or restart the bot to run without it`] });
  });
});
