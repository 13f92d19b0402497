import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { member, option, startHarness, waitForOriginal, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ env: { COMFYUI_TIMEOUT_MS: '1000' } });
});
afterAll(async () => {
  await h?.stop();
});

describe('a late answer to POST /prompt', () => {
  it('runs the job once: after the timeout the bot finds its own prompt id in ComfyUI instead of sending it again', async () => {
    h.sim.faults.lateAnswerMs = 1_500;
    const { token } = h.discord.chatInput('imagine', [option('prompt', 'late answer')], member('lou'));
    await waitForOriginal(h.discord, token, (message) => message.files.length > 0, 'the picture', 12_000).catch((error: Error) => {
      throw new Error(`${error.message}\nreply: ${h.discord.originals.get(token)?.content}\nsubmitted: ${h.sim.submitted.length}\nlog: ${h.bot.output.slice(-3000)}`);
    });
    delete h.sim.faults.lateAnswerMs;
    const sent = h.sim.submitted.filter((body) => JSON.stringify(body).includes('late answer'));
    expect(sent).toHaveLength(1);
    expect(h.sim.prompts.size).toBe(1);
  });
});
