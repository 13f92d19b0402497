import { afterEach, describe, expect, it } from 'vitest';
import type { RecordedRequest } from '../fakes/discord/fake-discord.js';
import { waitFor } from '../helpers.js';
import { member, option, startHarness, waitForOriginal, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

/** The preview pictures each edit of a reply carried, in order. */
function previewsOf(harness: Harness, token: string): Buffer[] {
  return harness.discord.requests
    .filter((request: RecordedRequest) => request.method === 'PATCH' && request.path.includes(`/${token}/messages/@original`))
    .flatMap((request) => request.files.filter((file) => file.filename.startsWith('preview.')).map((file) => file.bytes));
}

async function twoJobs(harness: Harness) {
  const first = harness.discord.chatInput('imagine', [option('prompt', 'first, running')], member('ann')).token;
  await waitFor(() => harness.sim.state.running, 'the first to run');
  const second = harness.discord.chatInput('imagine', [option('prompt', 'second, pending')], member('bob')).token;
  return { first, second };
}

describe('live previews', () => {
  it('show the running job\'s own picture on its reply, never on another member\'s, and the result replaces it', async () => {
    h = await startHarness({ sim: { runMs: 2_000, steps: 20, perPromptPreviews: true }, env: { PROGRESS_EDIT_MS: '500', COMFYUI_MAX_IN_FLIGHT: '2' } });
    const { first, second } = await twoJobs(h);
    await waitFor(() => previewsOf(h as Harness, first).length >= 2, 'previews on the first job', 10_000);
    expect(previewsOf(h, second)).toEqual([]);
    const done = await waitForOriginal(h.discord, first, (message) => message.embeds.length > 0, 'the first result', 15_000);
    expect(done.attachments.map((attachment) => attachment.filename).some((name) => name.startsWith('preview.'))).toBe(false);
    await waitFor(() => previewsOf(h as Harness, second).length >= 1, 'previews on the second job', 15_000);
    // Each prompt has its own picture in the simulator: the second never showed the first's.
    const firstPicture = previewsOf(h, first)[0] as Buffer;
    expect(previewsOf(h, second).every((bytes) => !bytes.equals(firstPicture))).toBe(true);
    // Asked per prompt (ComfyUI v0.5+), with frames tied to their prompt id (type 4).
    expect(h.sim.submitted.map((request) => (request['extra_data'] as Record<string, unknown>)['preview_method'])).toEqual(['auto', 'auto']);
  });

  it('attributes frames without a prompt id (older servers) only while one job of ours runs there', async () => {
    h = await startHarness({ sim: { runMs: 1_500, steps: 20, previews: true, previewMetadata: false }, env: { PROGRESS_EDIT_MS: '500', COMFYUI_MAX_IN_FLIGHT: '2' } });
    const { first, second } = await twoJobs(h);
    await waitFor(() => previewsOf(h as Harness, first).length >= 1, 'previews on the first job', 10_000);
    await waitForOriginal(h.discord, first, (message) => message.embeds.length > 0, 'the first result', 15_000);
    expect(previewsOf(h, second).every((bytes) => !bytes.equals(previewsOf(h as Harness, first)[0] as Buffer))).toBe(true);
  });

  it('never show another client\'s prompt (queued on the server without a client id) on our job', async () => {
    h = await startHarness({ sim: { runMs: 1_500, steps: 20, previews: true, previewMetadata: false }, env: { PROGRESS_EDIT_MS: '500' } });
    const { token } = h.discord.chatInput('imagine', [option('prompt', 'ours')], member('ann'));
    await waitFor(() => h?.sim.state.running, 'ours to run');
    // Someone else's prompt, queued straight on ComfyUI: its events and previews go to every socket.
    const theirs = JSON.parse(JSON.stringify(h.sim.state.running?.prompt)) as Record<string, { inputs: Record<string, unknown> }>;
    for (const node of Object.values(theirs)) if (typeof node.inputs['text'] === 'string') node.inputs['text'] = 'theirs';
    const queued = await fetch(`${h.sim.url}/prompt`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: theirs }) });
    const theirId = ((await queued.json()) as { prompt_id: string }).prompt_id;
    await waitForOriginal(h.discord, token, (message) => message.embeds.length > 0, 'our result', 15_000);
    await waitFor(() => h?.sim.state.history.has(theirId), 'theirs to finish', 15_000);
    const ours = previewsOf(h, token);
    expect(ours.length).toBeGreaterThan(0);
    expect(new Set(ours.map((bytes) => bytes.toString('base64'))).size).toBe(1);
  });

  it('are off with PREVIEWS=false: nothing asked of ComfyUI, nothing shown', async () => {
    h = await startHarness({ sim: { runMs: 1_000, steps: 10, previews: true }, env: { PROGRESS_EDIT_MS: '500', PREVIEWS: 'false' } });
    const { token } = h.discord.chatInput('imagine', [option('prompt', 'no previews')], member('ann'));
    await waitForOriginal(h.discord, token, (message) => message.embeds.length > 0, 'the result', 15_000);
    expect(previewsOf(h, token)).toEqual([]);
    expect(h.sim.submitted[0]?.['extra_data']).not.toHaveProperty('preview_method');
  });
});
