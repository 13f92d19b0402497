import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isEdit, member, option, startHarness, waitForOriginal, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sim: { imageWidth: 128, imageHeight: 96 } });
});
afterAll(async () => {
  await h?.stop();
});

describe('/imagine end to end', () => {
  it('defers at once, then delivers the simulator\'s PNG byte for byte with an embed', async () => {
    const ann = member('ann');
    const { token, dispatchedAt } = h.discord.chatInput('imagine', [option('prompt', 'a red fox, "quoted" {{braces}} @everyone'), option('steps', 8), option('seed', 1234)], ann);
    const defer = await h.discord.waitForRequest((request) => request.path.includes(token) && request.path.endsWith('/callback'));
    expect(defer.json).toMatchObject({ type: 5 });
    const done = await waitForOriginal(h.discord, token, (message) => message.files.length > 0, 'the picture');
    const receivedAt = performance.now();
    const submitted = h.sim.submitted.at(-1) as { prompt: Record<string, { inputs: Record<string, unknown> }> };
    expect(submitted.prompt['6']?.inputs['text']).toBe('a red fox, "quoted" {{braces}} @everyone');
    expect(submitted.prompt['3']?.inputs).toMatchObject({ steps: 8, seed: 1234 });
    const [file] = done.files;
    const output = [...h.sim.state.files.entries()].find(([key]) => key.startsWith('output/') && key.endsWith('.png'));
    expect(file?.equals(output?.[1] as Buffer)).toBe(true);
    expect(await sharp(file as Buffer).metadata()).toMatchObject({ format: 'png', width: 128, height: 96 });
    const embed = done.embeds[0] as { description: string; fields: Array<{ name: string; value: string }> };
    expect(embed.description).toContain('a red fox');
    expect(embed.fields.map((field) => field.name)).toEqual(expect.arrayContaining(['Seed', 'Steps', 'CFG', 'Sampler', 'Checkpoint', 'Time']));
    // The Cancel button is gone; the result's own buttons took its place.
    const buttons = (done.components as Array<{ components: Array<{ custom_id: string }> }>).flatMap((row) => row.components.map((button) => button.custom_id));
    expect(buttons.some((id) => id.startsWith('cancel:'))).toBe(false);
    expect(buttons.some((id) => id.startsWith('job:reroll:'))).toBe(true);
    const final = h.discord.requests.filter(isEdit(token)).at(-1);
    expect((final?.json as { allowed_mentions: unknown }).allowed_mentions).toEqual({ parse: [] });
    console.log(`dispatch → PNG received: ${(receivedAt - dispatchedAt).toFixed(0)} ms (includes the simulator's 60 ms run)`);
  });

  it('tells the member in one sentence when ComfyUI rejects the prompt', async () => {
    const { token } = h.discord.chatInput('imagine', [option('prompt', 'x'), option('checkpoint', 'missing.safetensors')], member('bo'));
    const reply = await waitForOriginal(h.discord, token, (message) => message.content.includes('missing.safetensors'), 'the refusal');
    expect(reply.content).toBe('Checkpoint "missing.safetensors" is not available on this server. Available: sd_xl_base_1.0.safetensors, dreamshaper_8.safetensors.');
  });

  it('refuses out-of-range values with the parameter name, and creates no job', async () => {
    const before = h.sim.submitted.length;
    const { token } = h.discord.chatInput('imagine', [option('prompt', '   ')], member('cy'));
    const reply = await waitForOriginal(h.discord, token, (message) => message.content !== '', 'the refusal');
    expect(reply.content).toBe('Prompt must not be empty or only spaces.');
    expect(h.sim.submitted.length).toBe(before);
  });
});
