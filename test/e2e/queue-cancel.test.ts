import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANAGER_PERMISSIONS } from '../fakes/discord/payloads.js';
import { waitFor } from '../helpers.js';
import { member, option, queueImagine, slash as slashCommand, startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  // Long runs keep jobs in every state while the test looks at them.
  h = await startHarness({ sim: { runMs: 30_000 }, env: { COMFYUI_MAX_IN_FLIGHT: '2' } });
});
afterAll(async () => {
  await h?.stop();
});

const ann = member('ann');
const bob = member('bob');
const cy = member('cy');
const mod = member('mod', { permissions: MANAGER_PERMISSIONS });

const imagine = (user: typeof ann, prompt: string) => queueImagine(h.discord, user, prompt);
const slash = (name: string, user: typeof ann, options: Array<ReturnType<typeof option>> = []) => slashCommand(h.discord, name, user, options);

function promptIdOf(text: string): string {
  const body = h.sim.submitted.find((sent) => (sent as { prompt: Record<string, { inputs: Record<string, unknown> }> }).prompt['6']?.inputs['text'] === text);
  return (body as { prompt_id: string }).prompt_id;
}

describe('/queue and /cancel', () => {
  const jobs: Record<string, string> = {};

  it('/queue shows three members\' jobs in round-robin order, the caller\'s marked', async () => {
    for (const [user, prompt] of [[ann, 'ann-1'], [ann, 'ann-2'], [ann, 'ann-3'], [bob, 'bob-1'], [bob, 'bob-2'], [cy, 'cy-1']] as const) {
      jobs[prompt] = (await imagine(user, prompt)).jobId;
    }
    await waitFor(() => h.sim.submitted.length === 2 && h.sim.state.running, 'two prompts inside ComfyUI, one running');
    const text = await slash('queue', bob);
    const order = [...text.matchAll(/`(\w+)` \/imagine by (\w+)/g)].map((match) => `${match[2]}:${match[1]}`);
    // ann's first two went straight to ComfyUI (nobody else was waiting); then bob and cy, who had nothing yet,
    // go before ann; then turns continue round-robin.
    expect(order).toEqual([`ann:${jobs['ann-1']}`, `ann:${jobs['ann-2']}`, `bob:${jobs['bob-1']}`, `cy:${jobs['cy-1']}`, `ann:${jobs['ann-3']}`, `bob:${jobs['bob-2']}`]);
    expect(text).toContain(`\`${jobs['bob-1']}\` /imagine by bob (yours)`);
    expect(text).toContain('ComfyUI reports 2 prompts in its own queue.');
    const deferred = h.discord.requests.find((request) => request.path.endsWith('/callback') && (request.json as { data?: { flags?: number } }).data?.flags === 64);
    expect(deferred).toBeDefined();
  });

  it('a member cannot cancel someone else\'s job', async () => {
    expect(await slash('cancel', cy, [option('job', jobs['ann-1'])])).toBe(`Job \`${jobs['ann-1']}\` is not yours to cancel.`);
    expect(h.sim.requests.some((request) => request.path === '/interrupt')).toBe(false);
  });

  it('cancels a job still waiting in the bot: it never reaches ComfyUI', async () => {
    expect(await slash('cancel', cy)).toBe(`Cancelled job \`${jobs['cy-1']}\` before it started.`);
    expect(h.sim.submitted.some((body) => JSON.stringify(body).includes('cy-1'))).toBe(false);
  });

  it('cancels a job pending inside ComfyUI with POST /queue {delete: [its prompt_id]}', async () => {
    expect(await slash('cancel', ann, [option('job', jobs['ann-2'])])).toBe(`Cancelled job \`${jobs['ann-2']}\`; it is removed from ComfyUI's queue.`);
    const deletion = h.sim.requests.find((request) => request.path === '/queue' && request.method === 'POST');
    expect(deletion?.json).toEqual({ delete: [promptIdOf('ann-2')] });
  });

  it('interrupts a running job by its own prompt_id; an admin may cancel anyone\'s', async () => {
    expect(await slash('cancel', mod, [option('job', jobs['ann-1'])])).toBe(`Stopping job \`${jobs['ann-1']}\` on ComfyUI…`);
    const interrupt = await waitFor(() => h.sim.requests.find((request) => request.path === '/interrupt'), 'the interrupt');
    expect(interrupt.json).toEqual({ prompt_id: promptIdOf('ann-1') });
    await h.sim.waitFinished(promptIdOf('ann-1'));
    expect(h.sim.prompts.get(promptIdOf('ann-1'))?.outcome).toBe('interrupted');
  });

  it('/cancel all is for admins only', async () => {
    expect(await slash('cancel', bob, [option('all', true)])).toBe('Only members with Manage Server may cancel everything.');
    expect(await slash('cancel', mod, [option('all', true)])).toMatch(/^Cancelled \d jobs? in this server\.$/);
    await waitFor(() => !h.sim.state.running && h.sim.state.pending.length === 0, 'ComfyUI to be empty');
  });
});
