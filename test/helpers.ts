import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { ComfyClient } from '../src/comfy/client.js';
import { connectComfy, type ComfyConnection } from '../src/comfy/connection.js';
import { parseServer, type ServerAuth } from '../src/comfy/server.js';
import { ComfySim, type SimOptions } from './fakes/comfy/sim.js';

/** Polls a condition until it holds or the deadline passes; never a fixed sleep. */
export async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startSim(options: Partial<SimOptions> = {}): Promise<ComfySim> {
  return new ComfySim({ runMs: 20, ...options }).start();
}

export function clientFor(sim: ComfySim, auth: ServerAuth = {}, prefix = ''): ComfyClient {
  return new ComfyClient({ server: parseServer(sim.url + prefix, auth), clientId: `test-${randomUUID()}`, timeoutMs: 5_000 });
}

export async function connectionFor(sim: ComfySim, auth: ServerAuth = {}): Promise<ComfyConnection> {
  const connection = connectComfy(parseServer(sim.url, auth), { clientId: `test-${randomUUID()}`, timeoutMs: 5_000, pollIntervalMs: 200, fallbackPollIntervalMs: 50, pingIntervalMs: 200 });
  await connection.socket.waitOpen(AbortSignal.timeout(5_000));
  return connection;
}

/** The smallest valid workflow: EmptyImage → SaveImage (the captures' own test graph). */
export function tinyWorkflow(color = 1, prefix = 'test') {
  return {
    '1': { class_type: 'EmptyImage', inputs: { width: 64, height: 48, batch_size: 1, color } },
    '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: prefix } },
  };
}

/** A workflow whose sampler takes the simulator's run time (so it can be interrupted or queued behind). */
export function samplerWorkflow(seed = 1) {
  return {
    '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'sd_xl_base_1.0.safetensors' } },
    '5': { class_type: 'EmptyLatentImage', inputs: { width: 512, height: 512, batch_size: 1 } },
    '6': { class_type: 'CLIPTextEncode', inputs: { text: 'a fox', clip: ['4', 1] } },
    '7': { class_type: 'CLIPTextEncode', inputs: { text: '', clip: ['4', 1] } },
    '3': { class_type: 'KSampler', inputs: { seed, steps: 10, cfg: 7, sampler_name: 'euler', scheduler: 'normal', denoise: 1, model: ['4', 0], positive: ['6', 0], negative: ['7', 0], latent_image: ['5', 0] } },
    '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] } },
    '9': { class_type: 'SaveImage', inputs: { images: ['8', 0], filename_prefix: 'sampler' } },
  };
}
