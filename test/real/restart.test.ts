import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { ComfyClient } from '../../src/comfy/client.js';
import { parseServer } from '../../src/comfy/server.js';
import { waitFor } from '../helpers.js';
import { member, option, waitForOriginal } from '../e2e/harness.js';
import { startRealHarness, type RealHarness } from './harness.js';
import { RealComfy } from './real-comfy.js';

let h: RealHarness | undefined;
let own: RealComfy | undefined;
afterEach(async () => {
  await h?.stop();
  await own?.stop();
  h = undefined;
  own = undefined;
});

function uploads(harness: RealHarness, token: string) {
  return harness.discord.requests.filter((request) => request.path.includes(token) && request.files.length > 0);
}

async function queueJobs(harness: RealHarness, jobs: Array<[string, string]>, who?: ReturnType<typeof member>): Promise<string[]> {
  const tokens: string[] = [];
  for (const [prompt, template] of jobs) {
    const { token } = harness.discord.chatInput('imagine', [option('prompt', prompt), option('template', template)], who ?? member(prompt));
    await waitForOriginal(harness.discord, token, (message) => /Queued|ComfyUI is unreachable/.test(message.content), `${prompt} to be queued`, 30_000);
    tokens.push(token);
  }
  return tokens;
}

describe('restarts with the real ComfyUI', () => {
  it('SIGKILL of the bot mid-run: after a restart each job is delivered exactly once', async () => {
    const url = inject('comfyUrl');
    const comfy = new ComfyClient({ server: parseServer(url), clientId: `contract-${randomUUID()}` });
    h = await startRealHarness(url, { COMFYUI_MAX_IN_FLIGHT: '2', COMFYUI_POLL_MS: '500' });
    const tokens = await queueJobs(h, [['kill-slow', 'real-slow'], ['kill-pending', 'real-imagine'], ['kill-waiting', 'real-imagine']]);
    await waitFor(async () => (await comfy.getQueue()).running.length === 1, 'the slow job to run', 30_000);
    h.bot.signal('SIGKILL');
    expect(await h.bot.exited()).toBeNull();
    await h.restartBot();
    for (const token of tokens) await waitForOriginal(h.discord, token, (message) => message.files.length > 0, 'every job', 60_000);
    for (const token of tokens) expect(uploads(h, token)).toHaveLength(1);
    const history = await comfy.getHistory(200);
    const runs = Object.values(history).map((entry) => String((entry.prompt[2] as Record<string, { inputs: Record<string, unknown> }>)['30']?.inputs['value'] ?? (entry.prompt[2] as Record<string, { inputs: Record<string, unknown> }>)['10']?.inputs['value']));
    for (const prompt of ['kill-slow', 'kill-pending', 'kill-waiting']) expect(runs.filter((run) => run === prompt)).toHaveLength(1);
    await comfy.close();
  });

  it('the real ComfyUI stopped mid-job and started again on the same port: members are told, each job is delivered exactly once, in fair order', async () => {
    own = await RealComfy.start();
    h = await startRealHarness(own.url, { COMFYUI_MAX_IN_FLIGHT: '3', COMFYUI_POLL_MS: '500', COMFYUI_RETRY_MS: '200' });
    const comfy = new ComfyClient({ server: parseServer(own.url), clientId: `contract-${randomUUID()}` });
    // One member's three jobs inside ComfyUI (one running, two pending there) when it stops.
    const xeno = member('xeno');
    const tokens = await queueJobs(h, [['outage-1', 'real-slow'], ['outage-2', 'real-imagine'], ['outage-3', 'real-imagine']], xeno);
    await waitFor(async () => {
      const queue = await comfy.getQueue();
      return queue.running.length === 1 && queue.pending.length === 2;
    }, 'one running and two pending in ComfyUI', 30_000);
    await own.kill();
    const told = await waitForOriginal(h.discord, tokens[0] as string, (message) => message.content.includes('ComfyUI stopped answering'), 'the member to be told', 30_000);
    expect(told.content).toMatch(/^ComfyUI stopped answering while job `\w+` was inside it\. The job is kept/);
    const [later] = await queueJobs(h, [['outage-later', 'real-imagine']]);
    expect(h.discord.originals.get(later as string)?.content).toMatch(/ComfyUI is unreachable right now\. Job `\w+` is kept/);
    await own.start();
    for (const token of [...tokens, later as string]) await waitForOriginal(h.discord, token, (message) => message.files.length > 0, 'every job', 90_000);
    for (const token of [...tokens, later as string]) expect(uploads(h, token)).toHaveLength(1);
    // What ComfyUI forgot runs again first, in its first order; the job sent during the outage comes after.
    const history = Object.values(await comfy.getHistory(20));
    const prompts = history.map((entry) => {
      const prompt = entry.prompt[2] as Record<string, { inputs: Record<string, unknown> }>;
      return String(prompt['30']?.inputs['value'] ?? prompt['10']?.inputs['value']);
    });
    expect(prompts).toEqual(['outage-1', 'outage-2', 'outage-3', 'outage-later']);
    await comfy.close();
  });
});
