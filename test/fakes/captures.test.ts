import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComfySim } from './comfy/sim.js';
import { startSim, waitFor } from '../helpers.js';

/** The real ComfyUI traffic recorded in ../shared/comfyui-captures, copied into test/fixtures so any clone can run it. */
const CAPTURES = fileURLToPath(new URL('../fixtures/comfyui-captures/', import.meta.url));

interface Capture {
  request: { method: string; path: string; body: unknown };
  response: { status: number; content_type: string; body?: unknown; body_text?: string; headers?: Record<string, string> };
}

function capture(name: string): Capture {
  return JSON.parse(readFileSync(`${CAPTURES}${name}.json`, 'utf8')) as Capture;
}

/** The structure of a JSON value: keys and value types, ignoring the values themselves. */
function shape(value: unknown): unknown {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? ['empty'] : ['array', shape(value[0])];
  if (typeof value === 'object') return Object.fromEntries(Object.keys(value).sort().map((key) => [key, shape((value as Record<string, unknown>)[key])]));
  return typeof value;
}

/** Like shape(), but one level of id-keyed maps (history by prompt id) reduced to their first entry. */
function entryShape(value: unknown): unknown {
  return shape(Object.values(value as Record<string, unknown>)[0]);
}

let sim: ComfySim;
beforeAll(async () => {
  expect(existsSync(CAPTURES), `captures not found at ${CAPTURES}`).toBe(true);
  sim = await startSim({ checkpoints: [], runMs: 5 });
});
afterAll(async () => {
  await sim.stop();
});

async function replay(name: string): Promise<{ response: Response; text: string; recorded: Capture }> {
  const recorded = capture(name);
  const { method, path, body } = recorded.request;
  const init: RequestInit = { method };
  if (method === 'POST' && body !== null) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const response = await fetch(`${sim.url}${path}`, init);
  return { response, text: await response.text(), recorded };
}

const STATELESS = [
  'system_stats', 'api_prefix_system_stats', 'features', 'object_info_SaveImage', 'object_info_unknown_node', 'queue_empty', 'prompt_get',
  'prompt_error_bad_link', 'prompt_error_bad_type', 'prompt_error_invalid_json', 'prompt_error_missing_input', 'prompt_error_missing_widget_input',
  'prompt_error_model_missing', 'prompt_error_no_class_type', 'prompt_error_no_outputs', 'prompt_error_no_prompt', 'prompt_error_unknown_class',
  'prompt_error_value_below_min', 'prompt_error_value_not_in_list', 'prompt_ok', 'prompt_ok_no_client_id', 'prompt_client_prompt_id',
  'prompt_front', 'queue_clear', 'queue_delete', 'interrupt_global', 'interrupt_targeted', 'history_unknown_id', 'history_delete',
  'view_missing', 'view_bad_type',
];

describe('the simulator answers like the real ComfyUI', () => {
  it.each(STATELESS)('%s: same status, content type and body shape', async (name) => {
    const { response, text, recorded } = await replay(name);
    expect(response.status).toBe(recorded.response.status);
    expect(response.headers.get('content-type')).toBe(recorded.response.content_type);
    if (recorded.response.body !== undefined && recorded.response.content_type.startsWith('application/json')) {
      // The simulator plays a GPU server: its system_stats follow the GPU recording (device index 0, not null).
      const expected = name.endsWith('system_stats') ? JSON.parse(readFileSync(`${CAPTURES}gpu-sd15/system_stats.json`, 'utf8')) : recorded.response.body;
      expect(shape(JSON.parse(text))).toEqual(shape(expected));
    } else {
      expect(text).toBe(recorded.response.body_text ?? '');
    }
  });

  it('gives the exact error body of a real server for a checkpoint it lacks', async () => {
    const { text, recorded } = await replay('prompt_error_model_missing');
    expect(JSON.parse(text)).toEqual(recorded.response.body);
  });

  it('history entries, animated outputs and /view downloads have the recorded shapes', async () => {
    const pairs: Array<[string, string]> = [['prompt_ok', 'history_entry'], ['prompt_animated_webp', 'history_animated_webp'], ['prompt_exec_error_submit', 'history_execution_error']];
    for (const [submit, history] of pairs) {
      const { text } = await replay(submit);
      const { prompt_id: promptId } = JSON.parse(text) as { prompt_id: string };
      await sim.waitFinished(promptId);
      const entry = await (await fetch(`${sim.url}/history/${promptId}`)).json();
      const recorded = capture(history).response.body;
      expect(entryShape(entry)).toEqual(entryShape(recorded));
      if (history === 'history_entry') {
        const file = (Object.values(entry as Record<string, { outputs: Record<string, { images: Array<{ filename: string }> }> }>)[0]?.outputs['2']?.images[0]);
        const view = await fetch(`${sim.url}/view?filename=${file?.filename}&subfolder=&type=output`);
        const viewRecorded = capture('view_output').response;
        expect([view.status, view.headers.get('content-type'), view.headers.get('content-disposition')]).toEqual([200, viewRecorded.content_type, `filename="${file?.filename}"`]);
        expect((await sharp(Buffer.from(await view.arrayBuffer())).metadata()).format).toBe('png');
      }
    }
  });

  it('uploads answer with the recorded shape, and 400 without an image part', async () => {
    const form = new FormData();
    form.set('image', new Blob([readFileSync(`${CAPTURES}view_uploaded_input.png`)]), 'peer_input.png');
    form.set('overwrite', 'true');
    const response = await fetch(`${sim.url}/upload/image`, { method: 'POST', body: form });
    expect(shape(await response.json())).toEqual(shape(capture('upload_image').response.body));
    const empty = new FormData();
    empty.set('overwrite', 'true');
    expect((await fetch(`${sim.url}/upload/image`, { method: 'POST', body: empty })).status).toBe(capture('upload_image_no_file').response.status);
  });

  it('sends the recorded websocket sequence for a prompt (progress_state included)', async () => {
    const recorded = JSON.parse(readFileSync(`${CAPTURES}ws_sequence.json`, 'utf8')) as { messages: Array<{ type: string }> };
    const ws = new WebSocket(`${sim.url.replace('http', 'ws')}/ws?clientId=replay`);
    const types: string[] = [];
    ws.on('message', (data) => types.push((JSON.parse(String(data)) as { type: string }).type));
    await new Promise((resolve) => ws.once('open', resolve));
    await waitFor(() => types.length >= 1, 'the greeting status');
    types.length = 0;
    const body = capture('prompt_ok').request.body as Record<string, unknown>;
    await fetch(`${sim.url}/prompt`, { method: 'POST', body: JSON.stringify({ ...body, client_id: 'replay', prompt: { ...(body['prompt'] as object), '1': { class_type: 'EmptyImage', inputs: { width: 64, height: 48, batch_size: 1, color: 424242 } } } }) });
    await waitFor(() => types.at(-1) === 'executing' && types.includes('execution_success'), 'the end of the run');
    ws.close();
    expect(types).toEqual(recorded.messages.map((message) => message.type));
  });
});
