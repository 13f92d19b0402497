import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers.js';
import { member, option, startHarness, waitForOriginal, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const FAST = { COMFYUI_POLL_MS: '300', COMFYUI_RETRY_MS: '100' };

function imagine(harness: Harness, prompt: string) {
  return harness.discord.chatInput('imagine', [option('prompt', prompt)], member(prompt.replace(/\W/g, '').slice(0, 20) || 'm')).token;
}

function delivered(harness: Harness, token: string) {
  return waitForOriginal(harness.discord, token, (message) => message.files.length > 0, 'the picture', 20_000);
}

function submittedTexts(harness: Harness): string[] {
  return harness.sim.submitted.map((body) => String((body as { prompt: Record<string, { inputs: Record<string, unknown> }> }).prompt['6']?.inputs['text']));
}

function runningPromptId(harness: Harness): Promise<string> {
  return waitFor(() => harness.sim.state.running?.promptId, 'a prompt to run');
}

describe('ComfyUI faults', () => {
  it('keeps jobs while ComfyUI is down, tells each member once, and runs them when it is back', async () => {
    h = await startHarness({ env: FAST });
    await h.sim.goDown();
    const tokens = [imagine(h, 'down one'), imagine(h, 'down two')];
    for (const token of tokens) await waitForOriginal(h.discord, token, (message) => message.content.includes('ComfyUI is unreachable right now'), 'the outage notice');
    await h.sim.comeUp();
    for (const token of tokens) await delivered(h, token);
    for (const token of tokens) {
      const notices = h.discord.requests.filter((request) => request.path.includes(token) && JSON.stringify(request.json ?? '').includes('unreachable'));
      expect(notices).toHaveLength(1);
    }
    expect(submittedTexts(h).sort()).toEqual(['down one', 'down two']);
  });

  it('delivers a job whose server went away mid-run and came back', async () => {
    h = await startHarness({ sim: { runMs: 600 }, env: FAST });
    const token = imagine(h, 'interrupted network');
    const promptId = await runningPromptId(h);
    await h.sim.goDown();
    await h.sim.waitFinished(promptId);
    await h.sim.comeUp();
    await delivered(h, token);
    expect(submittedTexts(h)).toEqual(['interrupted network']);
  });

  it('submits again, once, a job lost in a ComfyUI restart; reports it if lost twice', async () => {
    h = await startHarness({ sim: { runMs: 800 }, env: FAST });
    const token = imagine(h, 'restart victim');
    await runningPromptId(h);
    await h.sim.restart();
    await delivered(h, token);
    expect(submittedTexts(h)).toEqual(['restart victim', 'restart victim']);
    const unlucky = imagine(h, 'twice unlucky');
    await waitFor(() => h?.sim.state.running && submittedTexts(h).filter((text) => text === 'twice unlucky').length === 1, 'the first run');
    await h.sim.restart();
    await waitFor(() => h?.sim.state.running && submittedTexts(h).filter((text) => text === 'twice unlucky').length === 2, 'the second run');
    await h.sim.restart();
    const reply = await waitForOriginal(h.discord, unlucky, (message) => message.content.includes('lost'), 'the report');
    expect(reply.content).toMatch(/^ComfyUI lost job `\w+` twice \(it restarted\)\. Please try again\.$/);
  });

  it('delivers when the websocket drops mid-run', async () => {
    h = await startHarness({ sim: { runMs: 500 }, env: FAST });
    const token = imagine(h, 'socket drop');
    await runningPromptId(h);
    h.sim.dropSockets();
    await delivered(h, token);
  });

  it('delivers through polling when the websocket goes silent', async () => {
    h = await startHarness({ sim: { runMs: 200 }, env: FAST });
    h.sim.faults.silentSockets = true;
    const token = imagine(h, 'silent socket');
    await delivered(h, token);
    expect(h.sim.requests.some((request) => request.path.startsWith('/history/'))).toBe(true);
  });

  it('works through polling behind a proxy that refuses websockets, without calling the server down', async () => {
    h = await startHarness({ sim: { runMs: 100 }, env: { ...FAST, LOG_LEVEL: 'info' } });
    h.sim.faults.refuseWebsockets = true;
    h.sim.dropSockets();
    const tokens = ['no socket 1', 'no socket 2', 'no socket 3'].map((prompt) => imagine(h as Harness, prompt));
    for (const token of tokens) await delivered(h, token);
    expect(h.bot.output).not.toMatch(/ComfyUI server is down/);
  });

  it('retries HTTP 500s on submit, and fails the job with a clear sentence when they persist', async () => {
    h = await startHarness({ env: FAST });
    h.sim.faults.http500.set('/prompt', 2);
    await delivered(h, imagine(h, 'flaky server'));
    h.sim.faults.http500.set('/prompt', Infinity);
    const token = imagine(h, 'broken server');
    const reply = await waitForOriginal(h.discord, token, (message) => message.content.includes('HTTP 500'), 'the failure', 20_000);
    expect(reply.content).toMatch(/^ComfyUI kept answering job `\w+` with an error \(HTTP 500\)\. An admin should look at its log\.$/);
  });

  it('retries a failing /view and delivers through a slow one', async () => {
    h = await startHarness({ sim: { imageWidth: 256, imageHeight: 256 }, env: FAST });
    h.sim.faults.http500.set('/view', 1);
    h.sim.faults.slowViewChunkMs = 30;
    const done = await delivered(h, imagine(h, 'slow view'));
    expect(done.files[0]?.length).toBeGreaterThan(150_000);
  });

  it('says so when someone interrupts the job on the ComfyUI server itself', async () => {
    h = await startHarness({ sim: { runMs: 2_000 }, env: FAST });
    const token = imagine(h, 'stopped elsewhere');
    await runningPromptId(h);
    await fetch(`${h.sim.url}/interrupt`, { method: 'POST' });
    const reply = await waitForOriginal(h.discord, token, (message) => message.content.includes('stopped'), 'the notice');
    expect(reply.content).toMatch(/^Job `\w+` was stopped on the ComfyUI server\.$/);
  });
});
