import { describe, expect, it } from 'vitest';
import { parseConfigFile } from '../src/config-file.js';
import { BotConfigSchema, parseConfig } from '../src/config.js';

const TOKEN = `${'a'.repeat(24)}.${'b'.repeat(6)}.${'c'.repeat(38)}`;
const ENV = { DISCORD_TOKEN: TOKEN, DISCORD_APP_ID: '123456789012345678' };

function read(text: string) {
  const file = parseConfigFile(text, 'config.yaml');
  if (!file.ok) return file;
  return parseConfig(BotConfigSchema, ENV, { name: 'config.yaml', parsed: file.file });
}

describe('config.yaml', () => {
  it('maps every section onto the settings, keeps 18-digit ids exact, and puts server labels in their URLs', () => {
    const result = read([
      'servers:',
      '  - http://127.0.0.1:8188',
      '  - url: https://gpu2.example/api',
      '    label: big gpu',
      'limits:',
      '  jobs_per_hour: 12',
      '  admins_exempt: false',
      'access:',
      '  allowed_channels: [123456789012345678, "223456789012345678"]',
      'banned_words: [dragon, "red fox"]',
      'channels:',
      '  323456789012345678:',
      '    template: txt2img',
      '    size: "16:9"',
      '    steps: 12',
      '    negative_prefix: blurry',
      '    spoiler: true',
    ].join('\n'));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.COMFYUI_URL).toEqual(['http://127.0.0.1:8188', 'https://gpu2.example/api#label=big+gpu']);
    expect(result.config.JOBS_PER_HOUR).toBe(12);
    expect(result.config.ADMINS_EXEMPT).toBe(false);
    expect(result.config.ALLOWED_CHANNEL_IDS).toEqual(['123456789012345678', '223456789012345678']);
    expect(result.config.BANNED_WORDS).toEqual(['dragon', 'red fox']);
    expect(result.channels).toEqual({ '323456789012345678': { template: 'txt2img', size: '16:9', steps: 12, negative_prefix: 'blurry', spoiler: true } });
  });

  it('lets the environment win over the file', () => {
    const file = parseConfigFile('limits:\n  jobs_per_hour: 12\n', 'config.yaml');
    if (!file.ok) throw new Error(file.problems.join());
    const result = parseConfig(BotConfigSchema, { ...ENV, JOBS_PER_HOUR: '3' }, { name: 'config.yaml', parsed: file.file });
    expect(result.ok && result.config.JOBS_PER_HOUR).toBe(3);
  });

  it('names the file, line and key of every mistake', () => {
    const result = read([
      'limits:',
      '  jobs_per_hour: -1',
      '  cooldown: 5',
      'discord_token: abc',
      'colour: red',
      'channels:',
      '  323456789012345678:',
      '    steps: 0',
      '    size: huge',
      '    nsfw: true',
      '  general:',
      '    steps: 4',
    ].join('\n'));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual(expect.arrayContaining([
      'config.yaml:3: limits.cooldown is not a setting (limits takes jobs_per_hour, cooldown_seconds, guild_jobs_per_hour, guild_max_waiting, max_waiting_per_user, submits_per_minute, admins_exempt, max_input_image_bytes, max_input_image_side, progress_edit_ms, shutdown_grace_ms)',
      'config.yaml:4: discord_token is a secret; put it in .env, not in config.yaml',
      'config.yaml:5: colour is not a setting (see README → Settings for every key)',
      'config.yaml:8: channels.323456789012345678.steps must be at least 1',
      expect.stringMatching(/^config\.yaml:9: channels\.323456789012345678\.size must be an aspect ratio/) as string,
      expect.stringMatching(/^config\.yaml:7: channels\.323456789012345678 has unknown key nsfw/) as string,
      'config.yaml:11: channels.general must be a channel or category id (17–20 digits)',
    ]));
    const values = read('limits:\n  jobs_per_hour: -1\n');
    expect(!values.ok && values.problems).toEqual(['config.yaml:2: limits.jobs_per_hour must be at least 0']);
  });

  it('refuses credentials in a server URL, a channel written twice, and an alias bomb; takes a channel with every key commented out', () => {
    const credentials = read('servers:\n  - http://admin:hunter2@127.0.0.1:8188\n');
    expect(!credentials.ok && credentials.problems).toEqual(['config.yaml:1: servers has a URL with a password or token; those are secrets: list that server in .env as COMFYUI_URL instead (README → Several servers)']);
    expect(read('servers:\n  - url: https://gpu.example#token=abcdef\n    label: x\n').ok).toBe(false);
    const twice = read('channels:\n  323456789012345678:\n    steps: 4\n  "323456789012345678":\n    steps: 9\n');
    expect(!twice.ok && twice.problems).toEqual(['config.yaml:2: channels.323456789012345678 is given twice (quoted and not); keep one']);
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 12 }, (_, index) => `b${index}: [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]`)].join('\n');
    const exploded = parseConfigFile(bomb, 'config.yaml');
    expect(!exploded.ok && exploded.problems[0]).toMatch(/^config\.yaml: .*alias/i);
    for (const looped of ['banned_words: &a [*a]\n', 'channels: &c {"323456789012345678": *c}\n']) {
      const result = parseConfigFile(looped, 'config.yaml');
      expect(!result.ok && result.problems).toEqual(['config.yaml: a value refers to itself (an alias inside its own anchor); write it out instead']);
    }
    expect(read('servers: ["http://a:8188,http://b:8188"]\n').ok).toBe(false);
    const comma = read('banned_words: ["red, fox", dragon]\n');
    expect(!comma.ok && comma.problems).toEqual(['config.yaml:1: banned_words has an item with a comma; make each its own list entry']);
    const commented = read('channels:\n  323456789012345678:\n#    steps: 4\n');
    expect(commented.ok && commented.channels).toEqual({ '323456789012345678': {} });
  });

  it('says where the YAML itself is broken', () => {
    const result = parseConfigFile('limits:\n  jobs_per_hour: [1, 2\nbanned_words: x\n', 'config.yaml');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems[0]).toMatch(/^config\.yaml:\d+: /);
  });

  it('takes an empty file as no settings', () => {
    expect(parseConfigFile('# nothing yet\n', 'config.yaml')).toEqual({ ok: true, file: { env: {}, channels: {}, origins: new Map() } });
  });
});
