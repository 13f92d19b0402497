import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers.js';
import { member, option, startHarness, waitForOriginal, type Harness } from './harness.js';

/** The simulator runs every prompt in a fixed time: the estimate must land near the real finish. */
const RUN_MS = 2_000;
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sim: { runMs: RUN_MS }, env: { COMFYUI_MAX_IN_FLIGHT: '1', PROGRESS_EDIT_MS: '500' } });
});
afterAll(async () => {
  await h?.stop();
});

async function run(prompt: string, who: string): Promise<string> {
  const { token } = h.discord.chatInput('imagine', [option('prompt', prompt)], member(who));
  return token;
}

describe('estimated start and finish', () => {
  it('are shown as Discord timestamps from measured run times, and land near the real finish', async () => {
    // Two runs teach the bot how long this template takes here.
    for (const name of ['warm-1', 'warm-2']) await waitForOriginal(h.discord, await run(name, name), (message) => message.files.length > 0, name, 15_000);
    const tokens = [await run('first in line', 'a'), await run('second in line', 'b'), await run('third in line', 'c')];
    const third = tokens[2] as string;
    const queued = await waitForOriginal(h.discord, third, (message) => /Should start <t:\d+:R>, done <t:\d+:R>\./.test(message.content), 'the estimate');
    const [, start, finish] = /Should start <t:(\d+):R>, done <t:(\d+):R>\./.exec(queued.content) as RegExpExecArray;
    const startedAt = await waitFor(() => (JSON.stringify(h.sim.state.running?.prompt ?? {}).includes('third in line') ? Date.now() : undefined), 'the third to start', 20_000);
    await waitForOriginal(h.discord, third, (message) => message.files.length > 0, 'the third result', 20_000);
    const finishedAt = Date.now();
    expect(Math.abs(Number(start) * 1000 - startedAt)).toBeLessThan(2_500);
    expect(Math.abs(Number(finish) * 1000 - finishedAt)).toBeLessThan(2_500);
  });

  it('show the finish while the job runs', async () => {
    const token = await run('one alone', 'd');
    const running = await waitForOriginal(h.discord, token, (message) => / Done <t:\d+:R>\./.test(message.content), 'the running estimate', 15_000);
    expect(running.content).toMatch(/^Job `\w+`.* Done <t:\d+:R>\.$/);
  });
});
