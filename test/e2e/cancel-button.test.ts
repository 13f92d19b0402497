import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers.js';
import { member, option, startHarness, waitForOriginal, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sim: { runMs: 30_000 }, env: { PROGRESS_EDIT_MS: '500' } });
});
afterAll(async () => {
  await h?.stop();
});

function cancelButtonOf(components: unknown[]): string | undefined {
  const rows = components as Array<{ components: Array<{ custom_id: string; label: string }> }>;
  return rows[0]?.components.find((button) => button.label === 'Cancel')?.custom_id;
}

describe('the Cancel button under a job', () => {
  it('shows while the job is active, refuses other members, and cancels for the requester', async () => {
    const ann = member('ann');
    const { token } = h.discord.chatInput('imagine', [option('prompt', 'cancel me')], ann);
    const queued = await waitForOriginal(h.discord, token, (message) => cancelButtonOf(message.components) !== undefined, 'the button');
    const customId = cancelButtonOf(queued.components) as string;
    await waitFor(() => h.sim.state.running, 'the job to run');

    const stranger = h.discord.button(customId, member('bob'), token);
    const refusal = await waitForOriginal(h.discord, stranger.token, (message) => message.content !== '', 'the refusal');
    expect(refusal).toMatchObject({ content: expect.stringMatching(/is not yours to cancel\.$/) as string, flags: 64 });

    const mine = h.discord.button(customId, ann, token);
    const answer = await waitForOriginal(h.discord, mine.token, (message) => message.content !== '', 'the answer');
    expect(answer.content).toMatch(/^Stopping job `\w+` on ComfyUI…$/);
    const ended = await waitForOriginal(h.discord, token, (message) => message.content.includes('was cancelled'), 'the job message to say so');
    expect(ended.components).toEqual([]);
    const interrupt = h.sim.requests.find((request) => request.path === '/interrupt');
    expect(interrupt?.json).toEqual({ prompt_id: h.sim.state.history.keys().next().value });
  });
});
