import { describe, expect, it } from 'vitest';
import { loadTemplate, type Template } from '../../src/comfy/templates.js';
import { BotConfigSchema, type BotConfig } from '../../src/config.js';
import { LiveConfig, type Reading } from '../../src/service/reload.js';
import txt2img from '../../workflows/txt2img.json' with { type: 'json' };

const base = (extra: Record<string, string> = {}): BotConfig => BotConfigSchema.parse({ DISCORD_TOKEN: `${'a'.repeat(24)}.${'b'.repeat(6)}.${'c'.repeat(38)}`, DISCORD_APP_ID: '123456789012345678', ...extra });
const templatesOf = (...names: string[]): Map<string, Template> => new Map(names.map((name) => [name, { ...loadTemplate(txt2img, name), name }]));

describe('a reload', () => {
  it('changes settings, channel defaults and templates in place, and reports what needs a restart', async () => {
    const config = base({ BANNED_WORDS: 'dragon', ADMIN_ROLE_ID: '223456789012345678' });
    const channels = {};
    const templates = templatesOf('txt2img');
    let next: Reading = { ok: true, config: base({ BANNED_WORDS: 'dragon,fox', COMFYUI_URL: 'http://other:8188' }), channels: { '323456789012345678': { steps: 4 } }, templates: templatesOf('txt2img', 'mine') };
    const live = new LiveConfig(config, channels, templates, async () => next);
    expect(await live.reload()).toEqual({ ok: true, changed: ['ADMIN_ROLE_ID', 'BANNED_WORDS', 'channels', 'templates'], restartNeeded: ['COMFYUI_URL'], overridden: [] });
    expect(config.BANNED_WORDS).toEqual(['dragon', 'fox']);
    expect(config.ADMIN_ROLE_ID).toBeUndefined();
    expect(config.COMFYUI_URL).toEqual(['http://127.0.0.1:8188']);
    expect(channels).toEqual({ '323456789012345678': { steps: 4 } });
    expect([...templates.keys()]).toEqual(['txt2img', 'mine']);
    next = { ok: false, problems: ['config.yaml:3: limits.jobs_per_hour must be at least 0'] };
    expect(await live.reload()).toEqual({ ok: false, problems: ['config.yaml:3: limits.jobs_per_hour must be at least 0'] });
    expect(config.BANNED_WORDS).toEqual(['dragon', 'fox']);
  });

  it('refuses channel defaults that name a template that does not exist, and keeps the old ones', async () => {
    const config = base();
    const channels = { '323456789012345678': { steps: 4 } };
    const live = new LiveConfig(config, channels, templatesOf('txt2img'), async () => ({ ok: true, config: base({ JOBS_PER_HOUR: '1' }), channels: { '323456789012345678': { template: 'gone' } }, templates: templatesOf('txt2img') }));
    const outcome = await live.reload();
    expect(outcome).toEqual({ ok: false, problems: ['channels.323456789012345678.template is gone, which is not a template (there are: txt2img)'] });
    expect(channels).toEqual({ '323456789012345678': { steps: 4 } });
    expect(config.JOBS_PER_HOUR).toBe(30);
  });

  it('keeps a template removed from the files for the jobs using it, never for new ones, and lets it go once they are done', async () => {
    const templates = templatesOf('txt2img', 'old');
    let busy = true;
    const live = new LiveConfig(base(), {}, templates, async () => ({ ok: true, config: base(), channels: {}, templates: templatesOf('txt2img') }), () => {}, (name) => busy && name === 'old');
    expect(await live.reload()).toMatchObject({ changed: ['templates'] });
    expect([...templates.keys()]).toEqual(['txt2img']);
    expect([...live.retired.keys()]).toEqual(['old']);
    expect(await live.reload()).toMatchObject({ changed: [] });
    busy = false;
    await live.reload();
    expect([...live.retired.keys()]).toEqual([]);
  });

  it('asks each reading to keep the config file the running settings came from, the last one applied', async () => {
    const kept: unknown[] = [];
    const files = [{ path: '/a.yaml', hadContent: true }, undefined];
    let reads = 0;
    const live = new LiveConfig(base(), {}, templatesOf('txt2img'), async (keep) => {
      kept.push(keep);
      const file = files[reads++];
      return reads === 2 ? { ok: false, problems: ['nope'] } : { ok: true, config: base(), channels: {}, templates: templatesOf('txt2img'), file };
    }, () => {}, () => false, new Map(), { path: '/start.yaml', hadContent: false });
    await live.reload();
    await live.reload();
    await live.reload();
    expect(kept).toEqual([{ path: '/start.yaml', hadContent: false }, { path: '/a.yaml', hadContent: true }, { path: '/a.yaml', hadContent: true }]);
    expect(live.file).toBeUndefined();
  });
});
