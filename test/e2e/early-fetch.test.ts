import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { member, option, startHarness, waitForOriginal, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  // Like a real GPU server: execution_success trails the output node's `executed` (up to 220 ms seen).
  h = await startHarness({ sim: { successDelayMs: 400 } });
});
afterAll(async () => {
  await h?.stop();
});

describe('fetching outputs', () => {
  it('starts downloading a file as soon as `executed` names it, before ComfyUI reports success', async () => {
    const { token } = h.discord.chatInput('imagine', [option('prompt', 'early bird')], member('eve'));
    await waitForOriginal(h.discord, token, (message) => message.files.length > 0, 'the picture');
    const record = [...h.sim.prompts.values()].at(-1);
    const view = h.sim.requests.find((request) => request.path.startsWith('/view'));
    expect(record?.finishedAt).toBeDefined();
    expect(view?.at).toBeLessThan((record?.finishedAt as number) + 400);
  });
});
