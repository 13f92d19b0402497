import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers.js';
import { member, queueImagine, startHarness, waitForOriginal, type Harness } from './harness.js';

/** Health and metrics on the bot's own port (HTTP_PORT=0: the system picks one, the bot logs it). */
let h: Harness;
let base: string;
beforeAll(async () => {
  h = await startHarness({ env: { HTTP_PORT: '0' } });
  const line = await waitFor(() => /health and metrics on (http:\/\/127\.0\.0\.1:\d+)\/healthz/.exec(h.bot.output) ?? undefined, 'the health and metrics address');
  base = line[1] as string;
});
afterAll(async () => {
  await h?.stop();
});

async function health(): Promise<{ status: number; body: { ok: boolean; checks: Array<{ name: string; ok: boolean; detail?: string }> } }> {
  const response = await fetch(`${base}/healthz`);
  return { status: response.status, body: await response.json() as { ok: boolean; checks: Array<{ name: string; ok: boolean; detail?: string }> } };
}

describe('health and metrics', () => {
  it('/healthz is 200 with every part named while Discord, ComfyUI and the ledger are fine', async () => {
    await waitFor(async () => (await health()).status === 200, 'the bot to be healthy');
    expect((await health()).body).toEqual({ ok: true, checks: [{ name: 'discord', ok: true }, { name: 'comfyui server 1', ok: true }, { name: 'ledger', ok: true }] });
  });

  it('/metrics counts jobs by outcome, times them per template and server, and counts Discord 429s', async () => {
    const ann = member('ann');
    h.discord.fail({ method: 'PATCH', path: /@original/, status: 429, minBytes: 1, headers: { 'retry-after': '0' }, body: { message: 'You are being rate limited.', retry_after: 0, global: false } });
    const { token } = await queueImagine(h.discord, ann, 'counted');
    await waitForOriginal(h.discord, token, (message) => message.files.length > 0, 'the result');
    const text = await waitFor(async () => {
      const body = await (await fetch(`${base}/metrics`)).text();
      return body.includes('bot_jobs_finished_total{outcome="done"} 1') ? body : undefined;
    }, 'the job to be counted');
    expect(text).toMatch(/^bot_job_run_seconds_count\{template="txt2img",server="server 1"\} 1$/m);
    expect(text).toMatch(/^bot_job_wait_seconds_count\{template="txt2img",server="server 1"\} 1$/m);
    expect(text).toMatch(/^bot_delivery_seconds_count\{outcome="done"\} 1$/m);
    expect(text).toMatch(/^bot_discord_rate_limited_total\{route="\/webhooks\/:id\/:token\/messages\/@original"\} 1$/m);
    expect(text).toMatch(/^bot_queue_length 0$/m);
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    expect(text).not.toContain('127.0.0.1');
  });

  it('/healthz is 503 naming the ComfyUI server that stopped answering', async () => {
    await h.sim.stop();
    const down = await waitFor(async () => {
      const answer = await health();
      return answer.status === 503 ? answer : undefined;
    }, 'the outage to show', 15_000);
    expect(down.body.checks).toContainEqual({ name: 'comfyui server 1', ok: false, detail: 'not answering' });
    expect(down.body.ok).toBe(false);
  });
});
