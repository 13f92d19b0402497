import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ComfySim } from '../fakes/comfy/sim.js';
import { startSim, waitFor } from '../helpers.js';

/**
 * The same requests to the real ComfyUI and to the simulator, their answers reduced to shapes and compared.
 * Where they differ, the simulator is wrong and gets fixed (the real server is the truth).
 */
const realUrl = inject('comfyUrl');
let sim: ComfySim;
beforeAll(async () => {
  // Like the real server here: no custom nodes.
  sim = await startSim({ runMs: 20, videoHelperSuite: false });
});
afterAll(async () => {
  await sim?.stop();
});

/**
 * A value's shape: object keys (sorted) with their shapes, arrays as the union of their items' shapes. A device's
 * `index` is left out: the real server here runs on a CPU (index null), the simulator plays a GPU (index 0).
 */
function shape(value: unknown, key = ''): unknown {
  if (key === 'index') return 'index';
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    const items = [...new Set(value.map((item) => JSON.stringify(shape(item))))].sort();
    return items.map((item) => JSON.parse(item) as unknown);
  }
  if (typeof value === 'object') return Object.fromEntries(Object.keys(value).sort().map((name) => [name, shape((value as Record<string, unknown>)[name], name)]));
  return typeof value;
}

async function both(path: string, init?: { method: string; body: unknown }): Promise<Array<{ status: number; type: string; body: unknown }>> {
  return Promise.all([realUrl, sim.url].map(async (base) => {
    const response = await fetch(`${base}${path}`, init ? { method: init.method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(init.body) } : undefined);
    const text = await response.text();
    return { status: response.status, type: response.headers.get('content-type') ?? '', body: text ? (JSON.parse(text) as unknown) : '' };
  }));
}

/** A fresh prompt (nothing cached on either server), with a picture and a text output. */
function noise(prefix: string, seed = Math.floor(Math.random() * 1e9)) {
  return {
    '1': { class_type: 'EmptyImage', inputs: { width: 16, height: 16, batch_size: 1, color: 0 } },
    '2': { class_type: 'ImageAddNoise', inputs: { image: ['1', 0], seed, strength: 0.5 } },
    '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: prefix } },
    '10': { class_type: 'PrimitiveStringMultiline', inputs: { value: `hello ${seed}` } },
    '11': { class_type: 'PreviewAny', inputs: { source: ['10', 0] } },
  };
}

/** Runs one prompt on a server with a socket open, and returns the websocket event types in order and its history entry. */
async function run(base: string, prompt: Record<string, unknown>): Promise<{ events: string[]; entry: unknown; status: number; body: unknown }> {
  const clientId = `diff-${randomUUID()}`;
  const ws = new WebSocket(`${base.replace('http', 'ws')}/ws?clientId=${clientId}`);
  const events: string[] = [];
  ws.on('message', (data, binary) => {
    if (!binary) events.push((JSON.parse(String(data)) as { type: string }).type);
  });
  await new Promise((resolve) => ws.once('open', resolve));
  const promptId = randomUUID();
  const response = await fetch(`${base}/prompt`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt, client_id: clientId, prompt_id: promptId }) });
  const body = (await response.json()) as unknown;
  const entry = await waitFor(async () => {
    const history = (await (await fetch(`${base}/history/${promptId}`)).json()) as Record<string, unknown>;
    return history[promptId];
  }, 'the history entry', 30_000);
  await waitFor(() => events.includes('execution_success') && events.at(-1) === 'executing', 'the last event', 10_000);
  ws.close();
  return { events: events.filter((type, index) => type !== events[index - 1]), entry, status: response.status, body };
}

describe('the simulator answers like the real ComfyUI', () => {
  it('GET /system_stats, /object_info/{node}, /queue, /prompt', async () => {
    for (const path of ['/system_stats', '/object_info/KSampler', '/object_info/PreviewAny', '/queue', '/prompt', '/object_info/NoSuchNode']) {
      const [real, simulated] = await both(path);
      expect({ path, status: simulated?.status, type: simulated?.type, body: shape(simulated?.body) }).toEqual({ path, status: real?.status, type: real?.type, body: shape(real?.body) });
    }
  });

  it('POST /prompt refusals: an unknown node, a missing input picture, a value out of range, a partial validation', async () => {
    const cases: Array<Record<string, unknown>> = [
      { '1': { class_type: 'VHS_VideoCombine', inputs: {} } },
      { '1': { class_type: 'LoadImage', inputs: { image: 'missing.png' } }, '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'x' } } },
      { ...noise('range'), '2': { class_type: 'ImageAddNoise', inputs: { image: ['1', 0], seed: 1, strength: 3 } } },
      { '1': { class_type: 'LoadImage', inputs: { image: 'missing.png' } }, '3': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'p' } }, '10': { class_type: 'PrimitiveStringMultiline', inputs: { value: 'a' } }, '11': { class_type: 'PreviewAny', inputs: { source: ['10', 0] } } },
    ];
    for (const prompt of cases) {
      const [real, simulated] = await both('/prompt', { method: 'POST', body: { prompt } });
      expect({ status: simulated?.status, body: shape(simulated?.body) }).toEqual({ status: real?.status, body: shape(real?.body) });
      // The sentences come from these bodies, so the texts matter too (ids and numbers aside).
      const text = (body: unknown) => JSON.stringify(body).replace(/"prompt_id":"[^"]+"|"number":\d+/g, '');
      expect(text(simulated?.body)).toBe(text(real?.body));
    }
  });

  it('one prompt: the same websocket events in the same order, the same history entry shape', async () => {
    // Prompts without a client id still broadcast their progress: let both servers go idle first.
    for (const base of [realUrl, sim.url]) await waitFor(async () => ((await (await fetch(`${base}/prompt`)).json()) as { exec_info: { queue_remaining: number } }).exec_info.queue_remaining === 0, 'an idle server', 30_000);
    const seed = Math.floor(Math.random() * 1e9);
    const [real, simulated] = await Promise.all([run(realUrl, noise('diff', seed)), run(sim.url, noise('diff', seed))]);
    expect(simulated.events).toEqual(real.events);
    expect(shape(simulated.entry)).toEqual(shape(real.entry));
    expect(shape(simulated.body)).toEqual(shape(real.body));
  });

  it('POST /upload/image and GET /view', async () => {
    const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: 'blue' } }).png().toBuffer();
    const answers = await Promise.all([realUrl, sim.url].map(async (base) => {
      const form = new FormData();
      form.set('image', new Blob([png]), `diff-${randomUUID()}.png`);
      form.set('subfolder', 'diff');
      const uploaded = (await (await fetch(`${base}/upload/image`, { method: 'POST', body: form })).json()) as { name: string };
      const view = await fetch(`${base}/view?filename=${encodeURIComponent(uploaded.name)}&subfolder=diff&type=input`);
      return { upload: shape(uploaded), status: view.status, type: view.headers.get('content-type'), bytes: Buffer.from(await view.arrayBuffer()).equals(png) };
    }));
    expect(answers[1]).toEqual(answers[0]);
  });
});
