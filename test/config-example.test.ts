import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { FILE_KEYS, parseConfigFile } from '../src/config-file.js';
import { BotConfigSchema, parseConfig } from '../src/config.js';

const TOKEN = `${'a'.repeat(24)}.${'b'.repeat(6)}.${'c'.repeat(38)}`;
const ENV = { DISCORD_TOKEN: TOKEN, DISCORD_APP_ID: '123456789012345678' };

describe('config.example.yaml and the README', () => {
  it('the example is a valid file that changes nothing: every value in it is the default', async () => {
    const text = await readFile(new URL('../config.example.yaml', import.meta.url), 'utf8');
    const file = parseConfigFile(text, 'config.example.yaml');
    expect(file.ok && [...file.file.origins.keys()].length).toBeGreaterThan(30);
    if (!file.ok) return;
    const withFile = parseConfig(BotConfigSchema, ENV, { name: 'config.example.yaml', parsed: file.file });
    const without = parseConfig(BotConfigSchema, ENV);
    expect(withFile.ok && without.ok).toBe(true);
    if (!withFile.ok || !without.ok) return;
    expect({ ...withFile.config, COMFYUI_URL: [] }).toEqual({ ...without.config, COMFYUI_URL: [] });
  });

  it('the example and the README name every key, with its environment variable', async () => {
    const example = await readFile(new URL('../config.example.yaml', import.meta.url), 'utf8');
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    for (const [key, env] of Object.entries(FILE_KEYS)) {
      const leaf = key.split('.').at(-1) as string;
      expect(example, key).toMatch(new RegExp(`^\\s*#?\\s*${leaf}:.*\\[${env}\\]|\\[${env}\\]\\n\\s*#?\\s*${leaf}:`, 'm'));
      expect(readme, key).toContain(`\`${key}\``);
      expect(readme, env).toContain(env);
    }
  });
});
