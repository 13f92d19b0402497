import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/comfy/backoff.js';
import { parseBinaryFrame, parseTextFrame, type ComfyEvent } from '../../src/comfy/events.js';
import { parseServer, wsUrl } from '../../src/comfy/server.js';
import { ComfySocket } from '../../src/comfy/socket.js';
import type { ComfySim } from '../fakes/comfy/sim.js';
import { clientFor, samplerWorkflow, startSim, tinyWorkflow, waitFor } from '../helpers.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function setup(options: Parameters<typeof startSim>[0] = {}, socketOptions: Partial<ConstructorParameters<typeof ComfySocket>[0]> = {}) {
  const sim = await startSim(options);
  cleanups.push(() => sim.stop());
  const clientId = `bot-${randomUUID()}`;
  const socket = new ComfySocket({ server: parseServer(sim.url), clientId, reconnectBaseMs: 10, reconnectMaxMs: 50, random: () => 0.5, ...socketOptions });
  cleanups.push(() => socket.close());
  const events: ComfyEvent[] = [];
  socket.on('event', (event) => events.push(event));
  socket.start();
  await socket.waitOpen(AbortSignal.timeout(5_000));
  return { sim, socket, events, clientId };
}

function submitAs(sim: ComfySim, clientId: string, workflow: object) {
  return fetch(`${sim.url}/prompt`, { method: 'POST', body: JSON.stringify({ prompt: workflow, client_id: clientId }) }).then((r) => r.json() as Promise<{ prompt_id: string }>);
}

describe('ComfySocket', () => {
  it('delivers typed events in ComfyUI order, ending with executing null', async () => {
    const { sim, events, clientId } = await setup();
    const { prompt_id: promptId } = await submitAs(sim, clientId, tinyWorkflow());
    await waitFor(() => events.some((event) => event.type === 'executing' && event.data.node === null), 'the end of the run');
    const mine = events.filter((event) => event.type !== 'status').map((event) => event.type);
    expect(mine).toEqual(['execution_start', 'execution_cached', 'executing', 'executing', 'executed', 'execution_success', 'executing']);
    expect(events.every((event) => event.type === 'status' || ('prompt_id' in event.data && event.data.prompt_id === promptId))).toBe(true);
  });

  it('receives progress and binary preview frames while sampling', async () => {
    const { sim, socket, events, clientId } = await setup({ previews: true });
    const previews: unknown[] = [];
    socket.on('preview', (frame) => previews.push(frame));
    await submitAs(sim, clientId, samplerWorkflow());
    await waitFor(() => events.some((event) => event.type === 'execution_success'), 'success');
    expect(events.filter((event) => event.type === 'progress')).toHaveLength(10);
    expect(previews).toHaveLength(10);
    expect(previews[0]).toMatchObject({ type: 'preview', format: 'jpeg' });
  });

  it('hears only status for prompts of another client', async () => {
    const { sim, events } = await setup();
    const { prompt_id: promptId } = await submitAs(sim, 'someone-else', tinyWorkflow());
    await sim.waitFinished(promptId);
    await waitFor(() => events.filter((event) => event.type === 'status').length >= 3, 'status broadcasts');
    expect(new Set(events.map((event) => event.type))).toEqual(new Set(['status']));
  });

  it('reconnects after a drop with the same client id and says so', async () => {
    const { sim, socket, events, clientId } = await setup();
    let reconnected = 0;
    socket.on('reconnected', () => reconnected++);
    sim.dropSockets();
    await waitFor(() => reconnected === 1 && socket.isOpen, 'the reconnect');
    const { prompt_id: promptId } = await submitAs(sim, clientId, tinyWorkflow(9));
    await waitFor(() => events.some((event) => event.type === 'execution_success' && event.data.prompt_id === promptId), 'events after reconnect');
  });

  it('tells a dead socket from a quiet one: no pong means dead, and it reconnects', async () => {
    const { sim, socket } = await setup({}, { pingIntervalMs: 30, pingTimeoutMs: 30 });
    let reconnected = 0;
    socket.on('reconnected', () => reconnected++);
    let heartbeats = 0;
    socket.on('heartbeat', () => heartbeats++);
    // Quiet: no event for several ping intervals, yet pongs keep the socket alive.
    await waitFor(() => heartbeats >= 4, 'four heartbeats');
    expect(reconnected).toBe(0);
    sim.faults.silentSockets = true;
    await waitFor(() => !socket.isOpen, 'the dead socket to be dropped');
    sim.faults.silentSockets = false;
    await waitFor(() => reconnected >= 1 && socket.isOpen, 'the reconnect');
  });

  it('keeps trying while ComfyUI is down and comes back when it returns', async () => {
    const { sim, socket } = await setup();
    let reconnected = 0;
    socket.on('reconnected', () => reconnected++);
    await sim.goDown();
    await waitFor(() => !socket.isOpen, 'the socket to notice');
    await sim.comeUp();
    await waitFor(() => reconnected === 1, 'the reconnect');
    expect(await clientFor(sim).queueRemaining()).toBe(0);
  });
});

describe('websocket frames', () => {
  it('parses type-1 and type-4 preview frames and ignores unknown event types', () => {
    const jpeg = Buffer.from([0xff, 0xd8, 0xff]);
    const type1 = Buffer.concat([Buffer.from([0, 0, 0, 1, 0, 0, 0, 2]), jpeg]);
    expect(parseBinaryFrame(type1)).toMatchObject({ format: 'png', image: jpeg });
    const meta = Buffer.from(JSON.stringify({ prompt_id: 'P', node_id: '3', image_type: 'image/jpeg' }));
    const length = Buffer.alloc(4);
    length.writeUInt32BE(meta.length);
    const type4 = Buffer.concat([Buffer.from([0, 0, 0, 4]), length, meta, jpeg]);
    expect(parseBinaryFrame(type4)).toMatchObject({ format: 'jpeg', promptId: 'P', nodeId: '3', image: jpeg });
    expect(parseTextFrame('{"type":"crystools.monitor","data":{}}')).toBeUndefined();
    expect(parseTextFrame('not json')).toBeUndefined();
    expect(parseTextFrame('{"type":"executing","data":{"node":"9"}}')).toEqual({ type: 'executing', data: { node: '9' } });
  });

  it('backs off exponentially with jitter, capped', () => {
    expect(backoffDelay(0, { baseMs: 100, maxMs: 1000, random: () => 0 })).toBe(50);
    expect(backoffDelay(3, { baseMs: 100, maxMs: 1000, random: () => 1 })).toBe(800);
    expect(backoffDelay(30, { baseMs: 100, maxMs: 1000, random: () => 0.5 })).toBe(750);
  });

  it('builds ws and wss URLs with the path prefix and query token', () => {
    expect(wsUrl(parseServer('https://gpu.example/api/', { queryToken: 't0k' }), 'bot 1')).toBe('wss://gpu.example/api/ws?clientId=bot+1&token=t0k');
  });
});
