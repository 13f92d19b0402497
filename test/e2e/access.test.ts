import { afterEach, describe, expect, it } from 'vitest';
import type { Where } from '../fakes/discord/fake-discord.js';
import { MANAGER_PERMISSIONS, MEMBER_PERMISSIONS, snowflake } from '../fakes/discord/payloads.js';
import { waitFor } from '../helpers.js';
import { member, option, startHarness, waitForOriginal, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

function ask(harness: Harness, user: ReturnType<typeof member>, prompt: string, where: Where = {}) {
  return harness.discord.chatInput('imagine', [option('prompt', prompt)], user, where).token;
}

const DM: Where = { guildId: null };

async function templateChoices(harness: Harness, user: ReturnType<typeof member>, where: Where): Promise<string[]> {
  const { token } = harness.discord.chatInput('imagine', [option('prompt', 'x'), { name: 'template', type: 3, value: '', focused: true }], user, { ...where, autocomplete: true });
  const callback = await harness.discord.waitForRequest((request) => request.path.endsWith(`/${token}/callback`), 10_000, 'the autocomplete answer');
  return (callback.json as { data: { choices: Array<{ value: string }> } }).data.choices.map((choice) => choice.value);
}

async function answer(harness: Harness, token: string): Promise<{ content: string; ephemeral: boolean }> {
  const message = await waitForOriginal(harness.discord, token, (reply) => reply.content !== '', 'an answer');
  const callback = harness.discord.requests.find((request) => request.path.includes(token) && request.path.endsWith('/callback'));
  const flags = (callback?.json as { data?: { flags?: number } }).data?.flags ?? 0;
  return { content: message.content, ephemeral: (flags & 64) !== 0 || (message.flags & 64) !== 0 };
}

describe('allowlists', () => {
  it('refuses, privately, members outside the allowed channels, guilds and roles', async () => {
    const otherChannel = snowflake();
    const artist = snowflake();
    h = await startHarness({ env: { ALLOWED_CHANNEL_IDS: otherChannel } });
    expect(await answer(h, ask(h, member('ann'), 'x'))).toEqual({ content: `This bot works in <#${otherChannel}>.`, ephemeral: true });
    await h.stop();
    h = await startHarness({ env: { ALLOWED_GUILD_IDS: snowflake() } });
    expect((await answer(h, ask(h, member('ann'), 'x'))).content).toBe('This bot is not enabled in this server.');
    await h.stop();
    h = await startHarness({ env: { IMG2VID_ROLE_IDS: artist }, guildRoles: [artist] });
    const { token } = h.discord.chatInput('img2vid', [{ name: 'image', type: 11, value: '1' }], member('ann'));
    expect(await answer(h, token)).toEqual({ content: `/img2vid is for members with <@&${artist}>.`, ephemeral: true });
    // With the role, the rules let her through (to the next check: the attachment itself).
    const withRole = h.discord.chatInput('img2vid', [{ name: 'image', type: 11, value: '1' }], member('art', { roles: [artist] }));
    expect(await answer(h, withRole.token)).toEqual({ content: 'Attach a picture (PNG, JPEG or WebP).', ephemeral: true });
    const allowed = await answer(h, ask(h, member('ann'), 'imagine is open to all'));
    expect(allowed.content).toMatch(/Queued as job/);
  });

  it('applies to autocomplete and to the Cancel button too', async () => {
    h = await startHarness({ sim: { runMs: 30_000 }, envFrom: (discord) => ({ ALLOWED_GUILD_IDS: discord.guildId }) });
    const outside = { guildId: snowflake() };
    expect(await templateChoices(h, member('ann'), {})).toContain('txt2img');
    expect(await templateChoices(h, member('eve'), outside)).toEqual([]);
    const ann = member('ann');
    const token = ask(h, ann, 'mine');
    const queued = await waitForOriginal(h.discord, token, (message) => message.components.length > 0, 'the Cancel button');
    const customId = (queued.components as Array<{ components: Array<{ custom_id: string }> }>)[0]?.components[0]?.custom_id as string;
    const click = h.discord.button(customId, member('eve', { permissions: MANAGER_PERMISSIONS }), token, outside);
    expect(await answer(h, click.token)).toEqual({ content: 'This bot is not enabled in this server.', ephemeral: true });
    expect(h.sim.requests.some((request) => request.path === '/interrupt')).toBe(false);
  });

  it('refuses direct messages unless ALLOW_DMS is set', async () => {
    h = await startHarness();
    expect(await answer(h, ask(h, member('ann'), 'from my DMs', DM))).toEqual({ content: 'This bot only works in servers, not in direct messages.', ephemeral: true });
    expect(await templateChoices(h, member('ann'), DM)).toEqual([]);
    expect(h.sim.submitted).toHaveLength(0);
  });
});

describe('quotas', () => {
  it('enforces a cooldown and says when to try again; admins are exempt', async () => {
    h = await startHarness({ env: { COOLDOWN_SECONDS: '120' } });
    const ann = member('ann');
    expect((await answer(h, ask(h, ann, 'first'))).content).toMatch(/Queued as job/);
    const refused = await answer(h, ask(h, ann, 'second'));
    expect(refused.content).toMatch(/^Please wait a moment between jobs: you can start another <t:\d+:R>\.$/);
    expect(refused.ephemeral).toBe(true);
    const when = Number(/<t:(\d+):R>/.exec(refused.content)?.[1]);
    expect(when * 1000 - Date.now()).toBeGreaterThan(100_000);
    const boss = member('boss', { permissions: MANAGER_PERMISSIONS });
    expect((await answer(h, ask(h, boss, 'one'))).content).toMatch(/Queued as job/);
    expect((await answer(h, ask(h, boss, 'two'))).content).toMatch(/Queued as job/);
  });

  it('caps jobs per member per hour and per guild per hour', async () => {
    h = await startHarness({ env: { JOBS_PER_HOUR: '2', GUILD_JOBS_PER_HOUR: '3' } });
    const ann = member('ann');
    for (const prompt of ['a1', 'a2']) expect((await answer(h, ask(h, ann, prompt))).content).toMatch(/Queued/);
    expect(await answer(h, ask(h, ann, 'a3'))).toEqual({ content: expect.stringMatching(/^You have reached 2 jobs this hour; you can start another <t:\d+:R>\.$/), ephemeral: true });
    expect((await answer(h, ask(h, member('bob'), 'b1'))).content).toMatch(/Queued/);
    expect(await answer(h, ask(h, member('cy'), 'c1'))).toEqual({ content: expect.stringMatching(/^This server has reached its 3 jobs this hour; the next one can start <t:\d+:R>\.$/), ephemeral: true });
  });

  it('with ALLOW_DMS, server limits apply to DMs as one bucket', async () => {
    h = await startHarness({ sim: { runMs: 30_000 }, env: { ALLOW_DMS: 'true', GUILD_MAX_WAITING: '1', GUILD_JOBS_PER_HOUR: '2', COMFYUI_MAX_IN_FLIGHT: '1' } });
    const ann = member('ann');
    expect((await answer(h, ask(h, ann, 'g1'))).content).toMatch(/Queued/);
    await waitFor(() => h?.sim.state.running, 'the guild job to run');
    const dora = member('dora');
    expect((await answer(h, ask(h, dora, 'd1', DM))).content).toMatch(/Queued as job/);
    const eve = member('eve');
    expect(await answer(h, ask(h, eve, 'd2', DM))).toEqual({ content: 'Direct messages already have 1 jobs waiting. Please try again when some have finished.', ephemeral: true });
    expect((await answer(h, ask(h, ann, 'g2'))).content).toMatch(/Queued/);
    const cancelled = h.discord.chatInput('cancel', [], dora, DM).token;
    expect((await answer(h, cancelled)).content).toMatch(/^Cancelled job `\w+` before it started\.$/);
    expect((await answer(h, ask(h, eve, 'd3', DM))).content).toMatch(/Queued as job/);
    expect((await answer(h, h.discord.chatInput('cancel', [], eve, DM).token)).content).toMatch(/before it started/);
    expect(await answer(h, ask(h, member('fay'), 'd4', DM))).toEqual({ content: expect.stringMatching(/^Direct messages have reached their 2 jobs this hour; the next one can start <t:\d+:R>\.$/), ephemeral: true });
  });
});

describe('banned words and admin actions', () => {
  it('refuses banned words politely, however they are disguised', async () => {
    h = await startHarness({ env: { BANNED_WORDS: 'gore,blood bath' } });
    for (const prompt of ['GORE everywhere', 'a g.o.r.e scene', 'bl00d b4th']) {
      const before = h.sim.submitted.length;
      const { content, ephemeral } = await answer(h, ask(h, member('dan'), prompt));
      expect(content).toMatch(/^That prompt contains a word this server does not allow \("(gore|blood bath)"\)\. Please rephrase it\.$/);
      expect(ephemeral).toBe(true);
      expect(h.sim.submitted.length).toBe(before);
    }
    expect((await answer(h, ask(h, member('dan'), 'a gorgeous sunset'))).content).toMatch(/Queued/);
  });

  it('checks Manage Server on every admin action, not once', async () => {
    h = await startHarness();
    const modId = snowflake();
    const asMod = { id: modId, username: 'mod', permissions: MANAGER_PERMISSIONS };
    const demoted = { id: modId, username: 'mod', permissions: MEMBER_PERMISSIONS };
    let { token } = h.discord.chatInput('cancel', [option('all', true)], asMod);
    expect((await answer(h, token)).content).toMatch(/^Cancelled \d jobs? in this server\.$/);
    ({ token } = h.discord.chatInput('cancel', [option('all', true)], demoted));
    expect((await answer(h, token)).content).toBe('Only members with Manage Server may cancel everything.');
  });
});
