import { describe, expect, it } from 'vitest';
import { BotConfigSchema, ComfyConfigSchema, parseConfig, secretsOf } from '../src/config.js';

const TOKEN = 'MTI3NjU0MzIxMDk4NzY1NDMy.GxYzAb.abcdefghijklmnopqrstuvwxyz0123456789AB';

describe('config', () => {
  it('lists every problem at once', () => {
    const result = parseConfig(BotConfigSchema, { COMFYUI_URL: 'ftp://x', MAX_WAITING_PER_USER: 'lots', COMFYUI_HEADERS: '{nope' });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems).toEqual([
      'COMFYUI_URL.0 must be an http:// or https:// URL',
      'COMFYUI_HEADERS must be a JSON object of header names to values, e.g. {"CF-Access-Client-Id":"…"}',
      'DISCORD_TOKEN is missing: create a bot at https://discord.com/developers/applications → your app → Bot → Reset Token, and put it in .env',
      'DISCORD_APP_ID is missing: copy the Application ID from the Developer Portal → General Information',
      'MAX_WAITING_PER_USER must be a whole number',
    ]);
  });

  it('applies defaults, splits server lists and keeps credentials out of the way', () => {
    const result = parseConfig(BotConfigSchema, { DISCORD_TOKEN: TOKEN, DISCORD_APP_ID: '123456789012345678', COMFYUI_URL: 'http://a:8188, https://u:p4ssw0rd@b/api', COMFYUI_TOKEN: 'bearer-secret' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config).toMatchObject({ COMFYUI_URL: ['http://a:8188', 'https://u:p4ssw0rd@b/api'], DISCORD_API_URL: 'https://discord.com/api', MAX_WAITING_PER_USER: 5, COMFYUI_HEADERS: {} });
    expect(secretsOf(result.config).sort()).toEqual([TOKEN, 'bearer-secret', 'p4ssw0rd', 'u:p4ssw0rd'].sort());
  });

  it('needs no Discord settings for the ComfyUI-only tools', () => {
    expect(parseConfig(ComfyConfigSchema, {}).ok).toBe(true);
  });
});

describe('server labels', () => {
  it('reads a label from the URL fragment, keeping it out of the address', async () => {
    const { serverFromSettings } = await import('../src/comfy/connection.js');
    const server = serverFromSettings('https://gpu.example:8443/api#label=Big%20GPU&token=abc', { COMFYUI_HEADERS: {} });
    expect(server.label).toBe('Big GPU');
    expect(server.baseUrl).toBe('https://gpu.example:8443/api');
  });
});
