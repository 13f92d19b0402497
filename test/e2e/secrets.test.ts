import { afterEach, describe, expect, it } from 'vitest';
import { member, option, startHarness, waitForOriginal, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const BEARER = 'sk-comfy-7f3a9c2e5b1d4f6a8c0e2b4d6f8a1c3e';
const PASSWORD = 'hunter2-Correct-Horse';
const QUERY_TOKEN = 'qt-91b2c3d4e5f6a7b8';
const HEADER_SECRET = 'cf-access-secret-5e6f7a8b9c0d';

describe('secrets', () => {
  it('never appear in logs or messages, even when things fail', async () => {
    h = await startHarness({
      sim: { auth: { bearer: BEARER } },
      envFrom: (_discord, sim) => ({
        COMFYUI_URL: sim.url.replace('http://', `http://admin:${encodeURIComponent(PASSWORD)}@`),
        COMFYUI_TOKEN: BEARER, COMFYUI_QUERY_TOKEN: QUERY_TOKEN, COMFYUI_HEADERS: JSON.stringify({ 'CF-Access-Client-Secret': HEADER_SECRET }),
        LOG_LEVEL: 'trace', COMFYUI_POLL_MS: '300', COMFYUI_RETRY_MS: '100',
      }),
    });
    // A member who pastes a secret into a prompt does not see it echoed in the result's embed.
    const ok = h.discord.chatInput('imagine', [option('prompt', `fine ${HEADER_SECRET}`)], member('sam')).token;
    const shown = await waitForOriginal(h.discord, ok, (message) => message.files.length > 0, 'the picture');
    expect(JSON.stringify(shown.embeds)).toContain('[redacted]');
    h.sim.faults.failNode = { classType: 'KSampler', message: `failed while talking to http://admin:${PASSWORD}@gpu`, times: 1 };
    const failed = h.discord.chatInput('imagine', [option('prompt', 'fails')], member('sam2')).token;
    await waitForOriginal(h.discord, failed, (message) => message.content.includes('failed'), 'the failure');
    await h.sim.goDown();
    const held = h.discord.chatInput('imagine', [option('prompt', 'held')], member('sam3')).token;
    await waitForOriginal(h.discord, held, (message) => message.content.includes('unreachable'), 'the outage notice');
    await h.sim.comeUp();
    await waitForOriginal(h.discord, held, (message) => message.files.length > 0, 'the held picture');

    const token = h.discord.validToken;
    const everything = [h.bot.output, ...h.discord.requests.map((request) => JSON.stringify(request.json ?? null))].join('\n');
    expect(h.bot.output.length).toBeGreaterThan(1_000);
    for (const secret of [token, BEARER, PASSWORD, QUERY_TOKEN, HEADER_SECRET]) expect(everything).not.toContain(secret);
    expect(everything).toContain('[redacted]');
  });

  it('log lines about a job carry its id and its server\'s label, and no secret', async () => {
    h = await startHarness({ envFrom: (_discord, sim) => ({ COMFYUI_URL: `${sim.url}#label=gpu-a&token=${BEARER}` }) });
    const done = h.discord.chatInput('imagine', [option('prompt', 'a fox')], member('sam')).token;
    await waitForOriginal(h.discord, done, (message) => message.files.length > 0, 'the picture');
    h.sim.faults.failNode = { classType: 'KSampler', message: 'the sampler failed', times: 1 };
    const failed = h.discord.chatInput('imagine', [option('prompt', 'fails')], member('sam2')).token;
    await waitForOriginal(h.discord, failed, (message) => message.content.includes('failed'), 'the failure');
    await h.bot.waitForLog(/"msg":"job failed"/);
    const lines = h.bot.output.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
    const aboutJobs = lines.filter((line) => typeof line['job'] === 'string');
    expect(aboutJobs.map((line) => line['msg'])).toEqual(expect.arrayContaining(['job started', 'job delivered', 'job failed']));
    for (const line of aboutJobs) expect(line, JSON.stringify(line)).toMatchObject({ job: expect.stringMatching(/^\w+$/) as string, server: 'gpu-a' });
    expect(h.bot.output).not.toContain(BEARER);
    expect(h.bot.output).not.toContain(h.discord.validToken);
  });
});
