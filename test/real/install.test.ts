import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { member, option, waitForOriginal } from '../e2e/harness.js';
import { waitFor } from '../helpers.js';
import { startRealHarness, type RealHarness } from './harness.js';
import { RealComfy } from './real-comfy.js';

/** A server of its own: this test installs a (dummy) checkpoint into it. */
let own: RealComfy;
let h: RealHarness;
beforeAll(async () => {
  own = await RealComfy.start();
  h = await startRealHarness(own.url);
});
afterAll(async () => {
  await h?.stop();
  await own?.stop();
});

describe('an admin installs what a refusal said was missing', () => {
  it('is seen without restarting the bot: the next /imagine goes to ComfyUI', async () => {
    const ask = async (prompt: string) => {
      const { token } = h.discord.chatInput('imagine', [option('prompt', prompt), option('template', 'txt2img')], member(prompt));
      return (await waitForOriginal(h.discord, token, (message) => message.content !== '' && !/^Queued/.test(message.content), 'the answer', 30_000)).content;
    };
    await h.bot.waitForLog(/default \/imagine template/, 30_000);
    expect(await ask('before')).toMatch(/^Template "txt2img" cannot run on any ComfyUI server here: the server has no checkpoint to offer/);
    const folder = join(own.home, 'ComfyUI', 'models', 'checkpoints');
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'dummy.safetensors'), 'not really a model');
    // The refusal made the bot read the servers again; this model-free server then fails to load the dummy file.
    let attempt = 0;
    const answer = await waitFor(async () => {
      const text = await ask(`after ${attempt++}`);
      return /cannot run/.test(text) ? undefined : text;
    }, 'a /imagine that is not refused', 30_000);
    expect(answer).toMatch(/Job `\w+` failed in CheckpointLoaderSimple/);
  });
});
