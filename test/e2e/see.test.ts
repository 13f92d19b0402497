import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANAGER_PERMISSIONS } from '../fakes/discord/payloads.js';
import { waitFor } from '../helpers.js';
import { member, option, queueImagine, slash, startHarness, waitForOriginal, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sims: [{}, {}] });
});
afterAll(async () => {
  await h?.stop();
});

const ann = member('ann');
const bob = member('bob');

async function done(token: string) {
  return waitForOriginal(h.discord, token, (message) => message.files.length > 0, 'the result');
}

describe('/jobs and /show', () => {
  let first: { token: string; jobId: string };

  it('/jobs lists a member\'s latest jobs with their state, time and a link to each result', async () => {
    first = await queueImagine(h.discord, ann, 'a heron at dawn');
    const result = await done(first.token);
    const second = await queueImagine(h.discord, ann, 'a [markdown](link) *prompt*');
    await done(second.token);
    const lines = (await slash(h.discord, 'jobs', ann)).split('\n');
    expect(lines).toHaveLength(2);
    // Newest first; the member's text shown, never rendered (no masked link, no italics).
    expect(lines[0]).toMatch(new RegExp(`^\`${second.jobId}\` /imagine · done · <t:\\d+:R> · “.*” · \\[result\\]\\(https://discord\\.com/channels/${h.discord.guildId}/${h.discord.channelId}/\\d+\\)$`));
    expect(lines[0]).toContain('“a \\[markdown\\](link) \\*prompt\\*”');
    expect(lines[1]).toContain(`[result](https://discord.com/channels/${h.discord.guildId}/${h.discord.channelId}/${result.id})`);
  });

  it('/jobs of another member: refused to members, shown to an admin of the server', async () => {
    const named = [{ name: 'member', type: 6, value: ann.id }];
    expect(await slash(h.discord, 'jobs', bob, named)).toBe('Only members with Manage Server (or the admin role) may look at another member\'s jobs.');
    expect((await slash(h.discord, 'jobs', member('mod', { permissions: MANAGER_PERMISSIONS }), named)).split('\n')).toHaveLength(2);
  });

  it('/show posts a finished job again with the same picture and working buttons; a stranger is refused', async () => {
    const original = await done(first.token);
    expect(await slash(h.discord, 'show', bob, [option('job', first.jobId)])).toBe(`Job \`${first.jobId}\` is not yours to show.`);
    const { token } = h.discord.chatInput('show', [option('job', first.jobId)], ann);
    const again = await done(token);
    expect(again.files[0]?.equals(original.files[0] as Buffer)).toBe(true);
    expect((again.embeds[0] as { description: string }).description).toBe('a heron at dawn');
    const reroll = (again.components as Array<{ components: Array<{ custom_id: string }> }>).flatMap((row) => row.components).find((button) => button.custom_id.startsWith('job:reroll:'));
    expect(reroll?.custom_id).toBe(`job:reroll:${first.jobId}:0`);
    const before = h.sims.reduce((sum, sim) => sum + sim.submitted.length, 0);
    await done(h.discord.press(again, reroll?.custom_id as string, ann).token);
    expect(h.sims.reduce((sum, sim) => sum + sim.submitted.length, 0)).toBe(before + 1);
  });

  it('/show refuses when ComfyUI now has another picture under the job\'s file name (its output folder was cleaned)', async () => {
    const mine = await queueImagine(h.discord, ann, 'a picture soon overwritten');
    const result = await done(mine.token);
    const name = result.attachments[0]?.filename as string;
    const sim = h.sims.find((each) => [...each.state.files.keys()].some((key) => key.endsWith(`/${name}`)));
    const key = [...(sim?.state.files.keys() ?? [])].find((each) => each.endsWith(`/${name}`)) as string;
    sim?.state.files.set(key, Buffer.concat([sim.state.files.get(key) as Buffer, Buffer.alloc(100)]));
    const { token } = h.discord.chatInput('show', [option('job', mine.jobId)], ann);
    const refusal = await waitFor(() => h.discord.followUps.find((message) => message.content.includes(mine.jobId)) ?? (h.discord.originals.get(token)?.content.includes('no longer has') ? h.discord.originals.get(token) : undefined), 'the refusal');
    expect(refusal.content).toBe(`ComfyUI no longer has the files of job \`${mine.jobId}\` (they may have been cleaned up), so it cannot be shown again.`);
  });

  it('/show of another server\'s job is answered as if it did not exist', async () => {
    expect(await slash(h.discord, 'show', member('eve', { permissions: MANAGER_PERMISSIONS }), [option('job', first.jobId)], { guildId: '1300000000000000999' })).toMatch(/^That result is no longer in the bot's records/);
  });

  it('/show of a job that does not exist says so', async () => {
    expect(await slash(h.discord, 'show', ann, [option('job', 'zzzzzzzz')])).toMatch(/^That result is no longer in the bot's records/);
  });
});

describe('/status', () => {
  it('shows each server by label with its GPU, VRAM, queue and version, one of them down, and the bot\'s own queue', async () => {
    const up = (await slash(h.discord, 'status', ann)).split('\n');
    expect(up).toEqual([
      '**server 1** — 🟢 Simulated GPU · VRAM 21.4 GiB free of 23.6 GiB · its queue: 0 · ComfyUI 0.3.65-sim',
      '**server 2** — 🟢 Simulated GPU · VRAM 21.4 GiB free of 23.6 GiB · its queue: 0 · ComfyUI 0.3.65-sim',
      expect.stringMatching(/^Bot: 0 waiting, 0 with ComfyUI; up \d+ min\.$/),
    ]);
    await h.sims[1]?.stop();
    const down = (await slash(h.discord, 'status', bob)).split('\n');
    expect(down[1]).toBe('**server 2** — 🔴 not answering');
    expect(down.join('\n')).not.toContain('127.0.0.1');
  });
});
