import { afterEach, describe, expect, it } from 'vitest';
import type { StoredMessage } from '../fakes/discord/fake-discord.js';
import { waitFor } from '../helpers.js';
import { member, option, startHarness, waitForOriginal, type Harness } from './harness.js';

/** A result of 4 pictures that fits two to a message, with Discord failing the second message in various ways. */
const OVERHEAD = 16 * 1024;
/** Pictures large enough that halving the limit after a 413 still leaves room to retry (the bot stops at 64 KiB). */
const BIG = { imageWidth: 256, imageHeight: 256 };
/** Pictures too large to sit whole in a socket buffer: a download left unread is still open when it is dropped. */
const HUGE = { imageWidth: 1024, imageHeight: 1024 };
let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const ann = member('ann');
/** The job a result message shows (its Delete button names it). */
function jobOf(message: StoredMessage): string {
  return /job:delete:(\w+):/.exec(JSON.stringify(message.components))?.[1] ?? 'none';
}

/** The later parts of a job's split result. */
function partsOf(harness: Harness, jobId: string): StoredMessage[] {
  return harness.discord.followUps.filter((message) => message.files.length > 0 && jobOf(message) === jobId);
}

/** Room for two of the simulator's pictures but not three (measured on a first job). */
async function twoPerMessage(harness: Harness): Promise<number> {
  const { token } = harness.discord.chatInput('imagine', [option('prompt', 'measure'), option('count', 4)], ann);
  const done = await waitForOriginal(harness.discord, token, (message) => message.files.length > 0, 'the measuring job');
  const sizes = done.files.map((file) => file.length);
  return OVERHEAD + Math.floor(2.5 * (sizes.reduce((sum, size) => sum + size, 0) / sizes.length));
}

function webhookPosts(token: string): RegExp {
  return new RegExp(`^/api/v10/webhooks/\\d+/${token}$`);
}

describe('a result split over messages, when Discord fails the second one', () => {
  it('a 500 once: the bot keeps running and each picture arrives once', async () => {
    h = await startHarness({ sim: HUGE });
    const limit = await twoPerMessage(h);
    const { token } = h.discord.chatInput('imagine', [option('prompt', 'five hundred'), option('count', 4)], ann, { attachmentSizeLimit: limit });
    h.discord.fail({ method: 'POST', path: webhookPosts(token), status: 500, times: 1 });
    const reply = await waitForOriginal(h.discord, token, (message) => message.files.length > 0, 'the first part');
    const second = await waitFor(() => h?.discord.followUps.find((message) => message.files.length > 0 && JSON.stringify(message.components).includes(':2"')), 'the second part');
    expect([reply.files.length, second.files.length]).toEqual([2, 2]);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(h.bot.output).not.toMatch(/uncaught exception/);
    const { token: next } = h.discord.chatInput('imagine', [option('prompt', 'still alive')], ann);
    await waitForOriginal(h.discord, next, (message) => message.files.length > 0, 'a job after it');
  });

  it('a 413 on the second: the rest is shrunk and sent, and no picture is posted twice', async () => {
    h = await startHarness({ sim: BIG });
    const limit = await twoPerMessage(h);
    const { token } = h.discord.chatInput('imagine', [option('prompt', 'entity too large'), option('count', 4)], ann, { attachmentSizeLimit: limit });
    h.discord.fail({ method: 'POST', path: webhookPosts(token), status: 413, body: { message: 'Request entity too large', code: 40005 }, times: 1 });
    const reply = await waitForOriginal(h.discord, token, (message) => message.files.length > 0, 'the first part');
    const jobId = jobOf(reply);
    await h.bot.waitForLog(new RegExp(`"job":"${jobId}".*job delivered`), 20_000);
    const parts = [reply, ...partsOf(h, jobId)];
    expect(parts.reduce((sum, message) => sum + message.files.length, 0)).toBe(4);
    const pictures = parts.flatMap((message) => (message.components as Array<{ components: Array<{ custom_id: string }> }>).flatMap((row) => row.components.map((button) => button.custom_id)).filter((id) => id.startsWith('job:vary-subtle:')));
    expect(pictures.map((id) => id.split(':').at(-1))).toEqual(['0', '1', '2', '3']);
  });

  it('a permanent refusal of the second: the first keeps its pictures and buttons, and the reason follows', async () => {
    h = await startHarness({ sim: BIG });
    const limit = await twoPerMessage(h);
    const { token } = h.discord.chatInput('imagine', [option('prompt', 'forbidden'), option('count', 4)], ann, { attachmentSizeLimit: limit });
    h.discord.fail({ method: 'POST', path: webhookPosts(token), status: 403, body: { message: 'Missing Access', code: 50001 }, times: 1 });
    await waitFor(() => h?.discord.followUps.find((message) => message.files.length === 0 && message.content !== ''), 'the reason');
    const reply = h.discord.originals.get(token) as StoredMessage;
    expect(reply.files).toHaveLength(2);
    expect(reply.components.length).toBeGreaterThan(0);
    expect(reply.content).toMatch(/^Done in/);
  });

  it('a restart between the messages: the rest follow once, the first is left alone', async () => {
    h = await startHarness({ sim: { ...BIG, runMs: 300 } });
    const limit = await twoPerMessage(h);
    const { token } = h.discord.chatInput('imagine', [option('prompt', 'cut short'), option('count', 4)], ann, { attachmentSizeLimit: limit });
    h.discord.fail({ method: 'POST', path: webhookPosts(token), status: 500, times: 50 });
    await h.discord.waitForRequest((request) => webhookPosts(token).test(request.path) && request.status === 500, 20_000, 'the second part to fail');
    h.bot.signal('SIGKILL');
    await h.bot.exited();
    h.discord.faults.length = 0;
    const reply = h.discord.originals.get(token) as StoredMessage;
    expect(reply.files).toHaveLength(2);
    await h.restartBot();
    const jobId = jobOf(reply);
    await h.bot.waitForLog(new RegExp(`"job":"${jobId}".*job delivered`), 20_000);
    expect(partsOf(h, jobId).map((message) => message.files.length)).toEqual([2]);
    expect((h.discord.originals.get(token) as StoredMessage).files).toHaveLength(2);
  });
});
