import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ComfyHttpError, ComfyTimeoutError, ComfyUnreachableError, ExecutionFailedError, ExecutionInterruptedError, PromptLostError, PromptRejectedError,
} from '../../src/comfy/errors.js';
import type { ComfyConnection } from '../../src/comfy/connection.js';
import { comboOptions } from '../../src/comfy/template-check.js';
import { ComfyClient } from '../../src/comfy/client.js';
import { parseServer } from '../../src/comfy/server.js';
import { ComfySim } from '../fakes/comfy/sim.js';
import { clientFor, connectionFor, readAll, samplerWorkflow, startSim, tinyWorkflow, waitFor } from '../helpers.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function sim(options: ConstructorParameters<typeof ComfySim>[0] = {}): Promise<ComfySim> {
  const started = await startSim(options);
  cleanups.push(() => started.stop());
  return started;
}

async function connection(server: ComfySim): Promise<ComfyConnection> {
  const opened = await connectionFor(server);
  cleanups.push(() => opened.close());
  return opened;
}

describe('ComfyClient', () => {
  it('queues a prompt under our own prompt_id and client_id', async () => {
    const server = await sim();
    const client = clientFor(server);
    const promptId = randomUUID();
    const queued = await client.queuePrompt(tinyWorkflow(), { promptId });
    expect(queued).toEqual({ promptId, number: 0, nodeErrors: {} });
    expect(server.submitted[0]).toMatchObject({ client_id: client.clientId, prompt_id: promptId });
  });

  it('falls back to the server-made id when the server ignores prompt_id (before July 2025)', async () => {
    const server = await sim({ promptIdMode: 'ignore' });
    const client = clientFor(server);
    const mine = randomUUID();
    const queued = await client.queuePrompt(tinyWorkflow(), { promptId: mine });
    expect(queued.promptId).not.toBe(mine);
    await client.queuePrompt(tinyWorkflow(2));
    expect(server.submitted[1]).not.toHaveProperty('prompt_id');
  });

  it('reports queue_remaining, the queue in execution order, and deletes and clears pending prompts', async () => {
    const server = await sim({ runMs: 2_000 });
    const client = clientFor(server);
    const running = await client.queuePrompt(samplerWorkflow(1));
    const later = await client.queuePrompt(samplerWorkflow(2));
    const front = await client.queuePrompt(samplerWorkflow(3), { front: true });
    const last = await client.queuePrompt(samplerWorkflow(4));
    expect(await client.queueRemaining()).toBe(4);
    const queue = await client.getQueue();
    expect(queue.running.map((item) => item.promptId)).toEqual([running.promptId]);
    expect(queue.pending.map((item) => item.promptId)).toEqual([front.promptId, later.promptId, last.promptId]);
    expect(queue.pending[0]?.clientId).toBe(client.clientId);
    await client.deleteFromQueue([later.promptId]);
    expect((await client.getQueue()).pending.map((item) => item.promptId)).toEqual([front.promptId, last.promptId]);
    await client.clearQueue();
    const cleared = await client.getQueue();
    expect(cleared.pending).toEqual([]);
    expect(cleared.running).toHaveLength(1);
    await client.interrupt(running.promptId);
    await server.waitFinished(running.promptId);
  });

  it('interrupts only the targeted prompt, and only when it is the one running', async () => {
    const server = await sim({ runMs: 1_000 });
    const client = clientFor(server);
    const first = await client.queuePrompt(samplerWorkflow(1));
    const second = await client.queuePrompt(samplerWorkflow(2));
    await client.interrupt(second.promptId);
    await client.interrupt(first.promptId);
    await server.waitFinished(first.promptId);
    expect(server.prompts.get(first.promptId)?.outcome).toBe('interrupted');
    await server.waitFinished(second.promptId);
    expect(server.prompts.get(second.promptId)?.outcome).toBe('success');
  });

  it('reads history by id and lists the newest entries with max_items', async () => {
    const server = await sim();
    const client = clientFor(server);
    const ids: string[] = [];
    for (const color of [1, 2, 3]) {
      const { promptId } = await client.queuePrompt(tinyWorkflow(color));
      await server.waitFinished(promptId);
      ids.push(promptId);
    }
    const entry = await client.getHistoryEntry(ids[0] as string);
    expect(entry?.status?.status_str).toBe('success');
    expect(entry?.outputs['2']).toMatchObject({ images: [{ type: 'output' }] });
    expect(await client.getHistoryEntry(randomUUID())).toBeUndefined();
    expect(Object.keys(await client.getHistory(2))).toEqual(ids.slice(1));
  });

  it('streams a file through /view byte for byte', async () => {
    const server = await sim();
    const client = clientFor(server);
    const { promptId } = await client.queuePrompt(tinyWorkflow());
    await server.waitFinished(promptId);
    const entry = await client.getHistoryEntry(promptId);
    const file = (entry?.outputs['2']?.['images'] as Array<{ filename: string; subfolder: string; type: string }>)[0];
    const view = await client.view(file as { filename: string; subfolder: string; type: string });
    const bytes = await readAll(view.stream);
    expect(view.contentType).toBe('image/png');
    expect(bytes.equals(server.file('output', '', file?.filename as string) as Buffer)).toBe(true);
    expect((await sharp(bytes).metadata()).format).toBe('png');
  });

  it('uploads images (renaming a different file with the same name) and masks with original_ref', async () => {
    const server = await sim();
    const client = clientFor(server);
    const red = await sharp({ create: { width: 8, height: 8, channels: 3, background: 'red' } }).png().toBuffer();
    const blue = await sharp({ create: { width: 8, height: 8, channels: 3, background: 'blue' } }).png().toBuffer();
    expect(await client.uploadImage(red, 'cat.png')).toEqual({ name: 'cat.png', subfolder: '', type: 'input' });
    expect(await client.uploadImage(red, 'cat.png')).toMatchObject({ name: 'cat.png' });
    expect(await client.uploadImage(blue, 'cat.png')).toMatchObject({ name: 'cat (1).png' });
    expect(await client.uploadImage(blue, 'dog.png', { subfolder: 'discord' })).toEqual({ name: 'dog.png', subfolder: 'discord', type: 'input' });
    expect(server.file('input', 'discord', 'dog.png')?.equals(blue)).toBe(true);
    const mask = await client.uploadMask(blue, 'mask.png', { filename: 'cat.png', subfolder: '', type: 'input' }, { subfolder: 'clipspace' });
    expect(mask).toEqual({ name: 'mask.png', subfolder: 'clipspace', type: 'input' });
  });

  it('reads system stats and object info, whole or for one class ({} for an unknown one)', async () => {
    const server = await sim();
    const client = clientFor(server);
    expect((await client.systemStats()).devices[0]?.type).toBe('cuda');
    const all = await client.objectInfo();
    expect(comboOptions(all['KSampler'], 'sampler_name')).toContain('euler');
    expect(Object.keys(await client.objectInfo('SaveImage'))).toEqual(['SaveImage']);
    expect(await client.objectInfo('NoSuchNode')).toEqual({});
  });

  it('works behind a path prefix and with bearer or basic auth', async () => {
    const server = await sim({ auth: { bearer: 'sekrit-token', basic: { user: 'ada', pass: 'pw:with@chars' } } });
    await expect(clientFor(server).queueRemaining()).rejects.toBeInstanceOf(ComfyHttpError);
    expect(await clientFor(server, { bearerToken: 'sekrit-token' }, '/api').queueRemaining()).toBe(0);
    const basicUrl = server.url.replace('http://', `http://ada:${encodeURIComponent('pw:with@chars')}@`);
    const { parseServer } = await import('../../src/comfy/server.js');
    const parsed = parseServer(`${basicUrl}/api`);
    expect(parsed.baseUrl).not.toContain('ada');
    const { ComfyClient } = await import('../../src/comfy/client.js');
    expect(await new ComfyClient({ server: parsed, clientId: 'x' }).queueRemaining()).toBe(0);
  });
});

describe('ComfyClient errors', () => {
  it('says the server is unreachable when nothing listens', async () => {
    const server = await sim();
    const client = clientFor(server);
    await server.goDown();
    const error = await client.queueRemaining().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ComfyUnreachableError);
    expect((error as Error).message).toContain('not reachable');
  });

  it('times out a slow answer', async () => {
    const server = await sim();
    server.faults.slowMs.set('/queue', 500);
    const error = await clientFor(server).getQueue({ timeoutMs: 100 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ComfyTimeoutError);
  });

  it('honours an abort signal', async () => {
    const server = await sim();
    server.faults.slowMs.set('/queue', 500);
    const controller = new AbortController();
    const pending = clientFor(server).getQueue({ signal: controller.signal });
    controller.abort(new Error('member cancelled'));
    await expect(pending).rejects.toThrow('member cancelled');
  });

  it('turns an HTTP 500 into an error with status, url and body', async () => {
    const server = await sim();
    server.faults.http500.set('/history', Infinity);
    const error = (await clientFor(server).getHistory().catch((caught: unknown) => caught)) as ComfyHttpError;
    expect(error).toBeInstanceOf(ComfyHttpError);
    expect(error.status).toBe(500);
    expect(error.url).toContain('/history');
    expect(error.body).toContain('Server got itself in trouble');
  });

  it('turns a rejected prompt into readable sentences and keeps node_errors', async () => {
    const server = await sim();
    const workflow = samplerWorkflow();
    workflow['4'].inputs.ckpt_name = 'x.safetensors';
    const error = (await clientFor(server).queuePrompt(workflow).catch((caught: unknown) => caught)) as PromptRejectedError;
    expect(error).toBeInstanceOf(PromptRejectedError);
    expect(error.message).toBe('checkpoint "x.safetensors" is not installed on this server (installed: sd_xl_base_1.0.safetensors, dreamshaper_8.safetensors)');
    expect(error.nodeErrors['4']?.class_type).toBe('CheckpointLoaderSimple');
  });

  it.each(['v0.3.64', 'newest', 'legacy'] as const)('names a missing custom node and its pack (%s error shapes)', async (errorStyle) => {
    const server = await sim({ errorStyle, videoHelperSuite: false });
    const workflow = { ...tinyWorkflow(), '3': { class_type: 'VHS_VideoCombine', inputs: {} } };
    const error = await clientFor(server).queuePrompt(workflow).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PromptRejectedError);
    expect((error as Error).message).toBe('node type VHS_VideoCombine is not installed — it comes from the ComfyUI-VideoHelperSuite custom nodes');
  });

  it('accepts the pre-2025 "no prompt" error shape', async () => {
    const server = await sim({ errorStyle: 'legacy' });
    const response = await fetch(`${server.url}/prompt`, { method: 'POST', body: '{}' });
    expect(await response.json()).toEqual({ error: 'no prompt', node_errors: [] });
    const { PromptErrorBodySchema } = await import('../../src/comfy/schemas.js');
    const { explainPromptError } = await import('../../src/comfy/explain.js');
    expect(explainPromptError(PromptErrorBodySchema.parse({ error: 'no prompt', node_errors: [] }))).toEqual(['the request carried no workflow']);
  });

  it('reports an execution error with node id, type and message', async () => {
    const server = await sim();
    server.faults.failNode = { classType: 'KSampler', exceptionType: 'torch.OutOfMemoryError', message: 'CUDA out of memory. Tried to allocate 2.00 GiB', times: 1 };
    const comfy = await connection(server);
    const promptId = randomUUID();
    const done = comfy.watcher.watch(promptId);
    await comfy.client.queuePrompt(samplerWorkflow(), { promptId });
    const error = (await done.catch((caught: unknown) => caught)) as ExecutionFailedError;
    expect(error).toBeInstanceOf(ExecutionFailedError);
    expect([error.nodeId, error.nodeType, error.outOfMemory]).toEqual(['3', 'KSampler', true]);
    expect(error.message).toBe('node 3 (KSampler) failed: CUDA out of memory. Tried to allocate 2.00 GiB');
  });

  it('treats a fully cached re-run as a success that points at the earlier files', async () => {
    const server = await sim();
    const comfy = await connection(server);
    const run = async () => {
      const promptId = randomUUID();
      const done = comfy.watcher.watch(promptId);
      await comfy.client.queuePrompt(tinyWorkflow(77, 'cached'), { promptId });
      return done;
    };
    const first = await run();
    const second = await run();
    expect([first.cached, second.cached]).toEqual([false, true]);
    expect(second.outputs.map((file) => file.filename)).toEqual(first.outputs.map((file) => file.filename));
    const entry = await comfy.client.getHistoryEntry(second.promptId);
    expect(entry?.status?.messages.find(([type]) => type === 'execution_cached')?.[1]).toMatchObject({ nodes: ['1', '2'] });
  });

  it('reports an interrupted prompt', async () => {
    const server = await sim({ runMs: 1_000 });
    const comfy = await connection(server);
    const promptId = randomUUID();
    const done = comfy.watcher.watch(promptId, { onProgress: (progress) => { if (progress.phase === 'sampling') void comfy.client.interrupt(promptId); } });
    await comfy.client.queuePrompt(samplerWorkflow(), { promptId });
    await expect(done).rejects.toBeInstanceOf(ExecutionInterruptedError);
  });

  it('does not call a prompt lost while its POST /prompt is still on the way (only confirmed prompts are judged)', async () => {
    const server = await sim({ runMs: 50 });
    const comfy = await connection(server);
    server.faults.slowMs.set('/prompt', 400);
    const promptId = randomUUID();
    const done = comfy.watcher.watch(promptId);
    const posting = comfy.client.queuePrompt(tinyWorkflow(), { promptId });
    await comfy.watcher.pollNow();
    await posting;
    comfy.watcher.confirm(promptId);
    await expect(done).resolves.toMatchObject({ promptId });
  });

  it('does not let a /queue snapshot taken before the prompt was queued call it lost, though it answers after the confirmation', async () => {
    const server = await sim({ runMs: 1_000 });
    const comfy = await connection(server);
    const promptId = randomUUID();
    const done = comfy.watcher.watch(promptId);
    server.faults.lateQueueMs = 300;
    const polled = comfy.watcher.pollNow();
    await waitFor(() => server.requests.some((request) => request.path === '/queue'), 'the snapshot to be taken');
    server.faults.lateQueueMs = 0;
    // ComfyUI keeps only the latest history when idle; make this prompt wait behind nothing: queue it now.
    await comfy.client.queuePrompt(tinyWorkflow(), { promptId });
    comfy.watcher.confirm(promptId);
    await polled;
    await expect(done).resolves.toMatchObject({ promptId });
  });

  it('reports a prompt lost in a ComfyUI restart', async () => {
    const server = await sim({ runMs: 5_000 });
    const comfy = await connection(server);
    const promptId = randomUUID();
    const done = comfy.watcher.watch(promptId);
    await comfy.client.queuePrompt(samplerWorkflow(), { promptId });
    comfy.watcher.confirm(promptId);
    await server.restart();
    await expect(done).rejects.toBeInstanceOf(PromptLostError);
    await waitFor(() => comfy.socket.isOpen, 'the socket to reconnect');
  });
});

describe('odd /queue answers', () => {
  it('drops one unreadable item instead of the whole list, and refuses a list that is not a list', async () => {
    const { createServer } = await import('node:http');
    let body: unknown = { queue_running: [[0, 'p1', {}, { client_id: 'c' }, ['9']], { number: 1, prompt_id: 'other' }], queue_pending: [] };
    const server = createServer((_req, res) => res.end(JSON.stringify(body)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = new ComfyClient({ server: parseServer(`http://127.0.0.1:${(server.address() as { port: number }).port}`), clientId: 't' });
    try {
      expect((await client.getQueue()).running.map((item) => item.promptId)).toEqual(['p1']);
      body = { queue_running: 'busy', queue_pending: [] };
      await expect(client.getQueue()).rejects.toMatchObject({ name: 'ComfyProtocolError' });
    } finally {
      await client.close();
      server.close();
    }
  });
});
