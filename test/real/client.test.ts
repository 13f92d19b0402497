import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ComfyClient } from '../../src/comfy/client.js';
import { connectComfy, type ComfyConnection } from '../../src/comfy/connection.js';
import { PromptRejectedError } from '../../src/comfy/errors.js';
import { parseServer } from '../../src/comfy/server.js';
import { comboOptions } from '../../src/comfy/template-check.js';
import { readAll } from '../helpers.js';

/** Every client method the bot uses, against the real ComfyUI. */
const url = inject('comfyUrl');
let conn: ComfyConnection;
let client: ComfyClient;
beforeAll(async () => {
  conn = connectComfy(parseServer(url), { clientId: `contract-${randomUUID()}`, timeoutMs: 20_000, pollIntervalMs: 500, fallbackPollIntervalMs: 200 });
  client = conn.client;
  await conn.socket.waitOpen(AbortSignal.timeout(10_000));
});
afterAll(async () => {
  await conn?.close();
});

function noise(prefix: string, seed = 1) {
  return {
    '1': { class_type: 'EmptyImage', inputs: { width: 40, height: 30, batch_size: 1, color: 4_000_000 } },
    '2': { class_type: 'ImageAddNoise', inputs: { image: ['1', 0], seed, strength: 0.4 } },
    '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: prefix } },
  };
}

describe('the ComfyUI client against the real server', () => {
  it('reads system_stats and the whole object_info without skipping a node', async () => {
    const stats = await client.systemStats();
    expect(stats.system.comfyui_version).toBe('0.3.65');
    expect(stats.devices[0]?.type).toBe('cpu');
    const report = await client.objectInfoReport();
    expect(report.skipped).toEqual([]);
    expect(Object.keys(report.info).length).toBeGreaterThan(300);
    expect(comboOptions(report.info['KSampler'], 'sampler_name')).toContain('euler');
    expect(await client.objectInfo('ImageBlur')).toHaveProperty('ImageBlur');
    expect(await client.objectInfo('NoSuchNode')).toEqual({});
  });

  it('queues under our own prompt id, follows it on the websocket and reads its history and file', async () => {
    const promptId = randomUUID();
    const done = conn.watcher.watch(promptId, { nodeOrder: ['1', '2', '3'] });
    const queued = await client.queuePrompt(noise('contract-run'), { promptId });
    expect(queued).toMatchObject({ promptId, nodeErrors: {} });
    const result = await done;
    expect(result.outputs).toEqual([expect.objectContaining({ nodeId: '3', key: 'images', kind: 'image', type: 'output' })]);
    expect(result.finishedAt).toBeGreaterThan(0);
    const entry = await client.getHistoryEntry(promptId);
    expect(entry?.status?.status_str).toBe('success');
    expect(entry?.status?.messages.map(([type]) => type)).toContain('execution_success');
    expect(Object.keys(await client.getHistory(5))).toContain(promptId);
    const view = await client.view(result.outputs[0] as NonNullable<(typeof result.outputs)[0]>);
    const bytes = await readAll(view.stream);
    expect(view.contentType).toBe('image/png');
    expect(view.contentLength).toBe(bytes.length);
    expect(await sharp(bytes).metadata()).toMatchObject({ width: 40, height: 30, format: 'png' });
    expect(await client.getHistoryEntry(randomUUID())).toBeUndefined();
    expect(await client.queueRemaining()).toBe(0);
  });

  it('uploads an image (renamed on a name collision) and a mask with original_ref', async () => {
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).png().toBuffer();
    const name = `contract-${randomUUID()}.png`;
    const first = await client.uploadImage(png, name, { subfolder: 'discord' });
    expect(first).toEqual({ name, subfolder: 'discord', type: 'input' });
    const other = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#ff0000' } }).png().toBuffer();
    const second = await client.uploadImage(other, name, { subfolder: 'discord' });
    expect(second.name).not.toBe(name);
    const mask = await sharp({ create: { width: 8, height: 8, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0.5 } } }).png().toBuffer();
    const masked = await client.uploadMask(mask, `mask-${name}`, { filename: first.name, subfolder: 'discord', type: 'input' }, { subfolder: 'discord' });
    expect(masked).toMatchObject({ subfolder: 'discord', type: 'input' });
  });

  it('deletes a pending prompt and interrupts a running one by its id; /queue shows both states', async () => {
    const slow = (seed: number) => {
      const workflow: Record<string, { class_type: string; inputs: Record<string, unknown> }> = { '1': { class_type: 'EmptyImage', inputs: { width: 384, height: 384, batch_size: 1, color: seed } } };
      for (let index = 2; index < 6; index++) workflow[String(index)] = { class_type: 'ImageBlur', inputs: { image: [String(index - 1), 0], blur_radius: 15, sigma: 5 } };
      workflow['9'] = { class_type: 'SaveImage', inputs: { images: ['5', 0], filename_prefix: 'contract-slow' } };
      return workflow;
    };
    const running = randomUUID();
    const pending = randomUUID();
    const runningDone = conn.watcher.watch(running);
    await client.queuePrompt(slow(11), { promptId: running });
    await client.queuePrompt(slow(12), { promptId: pending });
    const queue = await client.getQueue();
    expect(queue.running.map((item) => item.promptId)).toEqual([running]);
    expect(queue.pending.map((item) => item.promptId)).toEqual([pending]);
    expect(queue.running[0]?.clientId).toBe(client.clientId);
    await client.deleteFromQueue([pending]);
    expect((await client.getQueue()).pending).toEqual([]);
    const asked = Date.now();
    await client.interrupt(running);
    await expect(runningDone).rejects.toMatchObject({ name: 'ExecutionInterruptedError' });
    // ComfyUI honours an interrupt only between nodes.
    console.log(`interrupt → execution_interrupted: ${Date.now() - asked} ms`);
    expect(await client.getHistoryEntry(pending)).toBeUndefined();
  });

  it('explains the real rejections in plain words', async () => {
    const reject = async (workflow: Record<string, unknown>) => client.queuePrompt(workflow as never).then(() => undefined, (error: unknown) => error);
    const vhs = await reject({ '1': { class_type: 'VHS_VideoCombine', inputs: {} } });
    expect(vhs).toBeInstanceOf(PromptRejectedError);
    expect((vhs as PromptRejectedError).sentences).toEqual(['node type VHS_VideoCombine is not installed — it comes from the ComfyUI-VideoHelperSuite custom nodes']);
    const checkpoint = await reject({ '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'sd_xl_base_1.0.safetensors' } }, '8': { class_type: 'VAEDecode', inputs: { samples: ['9', 0], vae: ['4', 2] } }, '9': { class_type: 'EmptyLatentImage', inputs: { width: 64, height: 64, batch_size: 1 } }, '10': { class_type: 'SaveImage', inputs: { images: ['8', 0], filename_prefix: 'x' } } });
    expect((checkpoint as PromptRejectedError).sentences).toEqual(['checkpoint "sd_xl_base_1.0.safetensors" is not installed on this server (none installed)']);
    const range = await reject({ ...noise('range'), '2': { class_type: 'ImageAddNoise', inputs: { image: ['1', 0], seed: 1, strength: 3 } } });
    expect((range as PromptRejectedError).sentences).toEqual(['strength on ImageAddNoise (node 2): Value 3.0 bigger than max of 1.0']);
    const missing = await reject({ '1': { class_type: 'LoadImage', inputs: { image: 'no-such.png' } }, '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'x' } } });
    expect((missing as PromptRejectedError).sentences).toEqual(['the input image no-such.png is not on the server (upload it first)']);
  });

  it('reports a 200 that carries node_errors for the dropped output', async () => {
    const queued = await client.queuePrompt({
      '1': { class_type: 'LoadImage', inputs: { image: 'no-such-file-on-server.png' } },
      '3': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'partial' } },
      '10': { class_type: 'PrimitiveStringMultiline', inputs: { value: 'a prompt' } },
      '11': { class_type: 'PreviewAny', inputs: { source: ['10', 0] } },
    });
    expect(Object.keys(queued.nodeErrors)).toEqual(['1']);
    expect(queued.nodeErrors['1']?.dependent_outputs).toEqual(['3']);
  });
});
