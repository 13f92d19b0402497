import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANAGER_PERMISSIONS, snowflake } from '../fakes/discord/payloads.js';
import { waitFor } from '../helpers.js';
import { member, option, queueImagine, slash as slashCommand, startHarness, waitForOriginal, type Harness } from './harness.js';

// Guild A is the fake guild (cached by the bot); guild B is another server the bot is in, never cached.
let h: Harness;
const adminRole = snowflake();
beforeAll(async () => {
  h = await startHarness({ sim: { runMs: 30_000 }, env: { COMFYUI_MAX_IN_FLIGHT: '1', ADMIN_ROLE_ID: adminRole }, guildRoles: [adminRole] });
});
afterAll(async () => {
  await h?.stop();
});

const guildB = snowflake();
const ann = member('ann');
const bea = member('bea');
const bossB = member('bossb', { permissions: MANAGER_PERMISSIONS });
const bossA = member('bossa', { permissions: MANAGER_PERMISSIONS });
const inB = { guildId: guildB };
const jobs: Record<string, { token: string; id: string; button: string }> = {};

async function imagine(user: typeof ann, prompt: string, where = {}): Promise<void> {
  const { token, jobId } = await queueImagine(h.discord, user, prompt, [], where);
  const reply = await waitForOriginal(h.discord, token, (message) => message.components.length > 0, `${prompt}'s Cancel button`);
  const rows = reply.components as Array<{ components: Array<{ custom_id: string }> }>;
  jobs[prompt] = { token, id: jobId, button: rows[0]?.components[0]?.custom_id as string };
}

const slash = (name: string, user: typeof ann, options: Array<ReturnType<typeof option>>, where = {}) => slashCommand(h.discord, name, user, options, where);

async function cancelChoices(user: typeof ann, where = {}): Promise<string[]> {
  const { token } = h.discord.chatInput('cancel', [{ name: 'job', type: 3, value: '', focused: true }], user, { ...where, autocomplete: true });
  const callback = await h.discord.waitForRequest((request) => request.path.endsWith(`/${token}/callback`), 10_000, 'the autocomplete answer');
  return (callback.json as { data: { choices: Array<{ value: string }> } }).data.choices.map((choice) => choice.value);
}

describe('admin power is per server', () => {
  it('guild B\'s admin sees guild A\'s jobs in /queue only as a count', async () => {
    await imagine(ann, 'ann-running');
    await waitFor(() => h.sim.state.running, 'ann\'s first job to run');
    await imagine(ann, 'ann-waiting');
    await imagine(bea, 'bea-waiting', inB);
    const text = await slash('queue', bossB, [], inB);
    expect(text).toContain(`\`${jobs['bea-waiting']?.id}\` /imagine by bea`);
    expect(text).not.toMatch(/ann/);
    expect(text).not.toContain(jobs['ann-running']?.id);
    expect(text).not.toContain(jobs['ann-waiting']?.id);
    expect(text).toContain('… and 2 jobs from other servers or direct messages.');
    // Guild A still sees its own jobs in full.
    expect(await slash('queue', ann, [])).toContain(`\`${jobs['ann-waiting']?.id}\` /imagine by ann (yours)`);
  });

  it('/cancel autocomplete offers only the jobs the caller may cancel', async () => {
    expect(await cancelChoices(bossB, inB)).toEqual([jobs['bea-waiting']?.id]);
    expect((await cancelChoices(ann)).sort()).toEqual([jobs['ann-running']?.id, jobs['ann-waiting']?.id].sort());
    expect(await cancelChoices(bea, inB)).toEqual([jobs['bea-waiting']?.id]);
  });

  it('guild B\'s admin cannot cancel guild A\'s jobs by id or by button', async () => {
    const waiting = jobs['ann-waiting']?.id as string;
    expect(await slash('cancel', bossB, [option('job', waiting)], inB)).toBe(`Job \`${waiting}\` is not yours to cancel.`);
    const running = jobs['ann-running'] as { token: string; id: string; button: string };
    const click = h.discord.button(running.button, bossB, running.token, inB);
    const refusal = await waitForOriginal(h.discord, click.token, (message) => message.content !== '', 'the button refusal');
    expect(refusal).toMatchObject({ content: `Job \`${running.id}\` is not yours to cancel.`, flags: 64 });
    expect(h.sim.requests.some((request) => request.path === '/interrupt')).toBe(false);
  });

  it('/cancel all by guild B\'s admin cancels only guild B\'s jobs', async () => {
    expect(await slash('cancel', bossB, [option('all', true)], inB)).toBe('Cancelled 1 job in this server.');
    expect(h.sim.requests.some((request) => request.path === '/interrupt')).toBe(false);
    const text = await slash('queue', ann, []);
    expect(text).toContain(jobs['ann-running']?.id);
    expect(text).toContain(jobs['ann-waiting']?.id);
    expect(text).not.toContain(jobs['bea-waiting']?.id);
  });

  it('guild A\'s admin still cancels guild A\'s jobs', async () => {
    expect(await slash('cancel', bossA, [option('all', true)])).toBe('Cancelled 2 jobs in this server.');
    await waitFor(() => !h.sim.state.running && h.sim.state.pending.length === 0, 'ComfyUI to be empty');
  });

  it('a member with the admin role (without Manage Server) is an admin of guild A; without it, refused', async () => {
    await imagine(ann, 'for the role');
    expect(await slash('cancel', bea, [option('all', true)])).toBe(`Only members with Manage Server or the <@&${adminRole}> role may cancel everything.`);
    const mod = member('mod', { roles: [adminRole] });
    expect(await slash('cancel', mod, [option('all', true)])).toMatch(/^Cancelled [1-9]\d* jobs? in this server\.$/);
    await waitFor(() => !h.discord.originals.get(jobs['for the role']?.token ?? '')?.components.length, 'the job to end');
  });
});
