import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredMessage } from '../fakes/discord/fake-discord.js';
import { waitFor } from '../helpers.js';
import { member, option, queueImagine, startHarness, waitForOriginal, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ env: { PROGRESS_EDIT_MS: '500' } });
});
afterAll(async () => {
  await h?.stop();
});

type Button = { custom_id: string; label: string };
type Prompt = Record<string, { class_type: string; inputs: Record<string, unknown> }>;

function rowsOf(message: StoredMessage): Button[][] {
  return (message.components as Array<{ components: Button[] }>).map((row) => row.components);
}

function idOf(message: StoredMessage, prefix: string): string {
  const found = rowsOf(message).flat().find((button) => button.custom_id.startsWith(prefix));
  if (!found) throw new Error(`no button ${prefix} on the message; it has ${rowsOf(message).flat().map((button) => button.custom_id).join(', ')}`);
  return found.custom_id;
}

async function result(token: string): Promise<StoredMessage> {
  return waitForOriginal(h.discord, token, (message) => message.files.length > 0, 'the result');
}

/** Presses a button and waits for the job it starts to deliver; returns that job's prompt as ComfyUI got it. */
async function follow(message: StoredMessage, customId: string, user = ann) {
  const before = h.sim.submitted.length;
  const { token } = h.discord.press(message, customId, user);
  const done = await result(token);
  await waitFor(() => h.sim.submitted.length > before, 'the follow-up prompt');
  return { token, done, prompt: (h.sim.submitted.at(-1) as { prompt: Prompt }).prompt };
}

function nodeOf(prompt: Prompt, type: string) {
  const found = Object.values(prompt).find((node) => node.class_type === type);
  if (!found) throw new Error(`no ${type} in the prompt`);
  return found.inputs;
}

const ann = member('ann');
let four: { token: string; jobId: string; message: StoredMessage };

describe('buttons under a result', () => {
  it('lays out a row per picture (vary, upscale, animate) and a row for the job (reroll, edit, delete)', async () => {
    const { token, jobId } = await queueImagine(h.discord, ann, 'a lighthouse at dusk', [option('count', 4), option('negative', 'fog')]);
    const message = await result(token);
    four = { token, jobId, message };
    expect(message.files).toHaveLength(4);
    expect(rowsOf(message).map((row) => row.map((button) => button.custom_id.split(':')[1]))).toEqual([
      ...[0, 1, 2, 3].map(() => ['vary-subtle', 'vary-strong', 'upscale', 'animate']),
      ['reroll', 'edit', 'delete'],
    ]);
    expect(rowsOf(message)[2]?.map((button) => button.custom_id)).toEqual(['vary-subtle', 'vary-strong', 'upscale', 'animate'].map((action) => `job:${action}:${jobId}:2`));
    expect(rowsOf(message)[2]?.[0]?.label).toBe('Vary (subtle) 3');
  });

  it('varies picture 3 of 4 from its own bytes, at the subtle strength, and says where it came from', async () => {
    const uploadsBefore = new Set(h.sim.state.files.keys());
    const { done, prompt } = await follow(four.message, `job:vary-subtle:${four.jobId}:2`);
    const uploaded = [...h.sim.state.files.entries()].filter(([key]) => key.startsWith('input/') && !uploadsBefore.has(key));
    expect(uploaded).toHaveLength(1);
    expect(uploaded[0]?.[1].equals(four.message.files[2] as Buffer)).toBe(true);
    expect(nodeOf(prompt, 'LoadImage')['image']).toBe(uploaded[0]?.[0].slice('input/'.length));
    expect(nodeOf(prompt, 'KSampler')['denoise']).toBe(0.35);
    const texts = Object.values(prompt).filter((node) => node.class_type === 'CLIPTextEncode').map((node) => node.inputs['text']);
    expect(texts).toEqual(['a lighthouse at dusk', 'fog']);
    const embed = done.embeds[0] as { fields: Array<{ name: string; value: string }> };
    expect(embed.fields).toContainEqual({ name: 'Made from', value: `picture 3 of job \`${four.jobId}\``, inline: false });
  });

  it('rerolls with the same words and settings and a new seed', async () => {
    const original = (h.sim.submitted.find((request) => JSON.stringify(request).includes('a lighthouse at dusk')) as { prompt: Prompt }).prompt;
    const { prompt, done } = await follow(four.message, idOf(four.message, 'job:reroll:'));
    expect((done.embeds[0] as { fields: Array<{ name: string; value: string }> }).fields).toContainEqual({ name: 'Made from', value: `job \`${four.jobId}\``, inline: false });
    expect(nodeOf(prompt, 'EmptyLatentImage')['batch_size']).toBe(4);
    expect(nodeOf(prompt, 'CLIPTextEncode')['text']).toBe('a lighthouse at dusk');
    expect(nodeOf(prompt, 'KSampler')['seed']).not.toBe(nodeOf(original, 'KSampler')['seed']);
  });

  it('upscales with a latent pass when no server has an upscale model', async () => {
    const { prompt, done } = await follow(four.message, `job:upscale:${four.jobId}:0`);
    expect(nodeOf(prompt, 'LatentUpscaleBy')['scale_by']).toBe(1.5);
    expect((done.embeds[0] as { footer: { text: string } }).footer.text).toMatch(/^upscale-latent · job /);
  });

  it('animates a picture with the img2vid template', async () => {
    const { prompt } = await follow(four.message, `job:animate:${four.jobId}:1`);
    expect(Object.values(prompt).some((node) => node.class_type === 'SVD_img2vid_Conditioning')).toBe(true);
  });

  it('edits: a form filled with the words, then a job with the new words and the same seed', async () => {
    const { token } = h.discord.press(four.message, idOf(four.message, 'job:edit:'), ann);
    const modal = await waitFor(() => h.discord.modals.get(token), 'the edit form');
    expect(modal.components.map((row) => [row.components[0]?.custom_id, row.components[0]?.value])).toEqual([['prompt', 'a lighthouse at dusk'], ['negative', 'fog']]);
    const before = h.sim.submitted.length;
    const submitted = h.discord.submitModal(modal.custom_id, { prompt: 'a lighthouse at dawn', negative: '' }, ann);
    await result(submitted.token);
    await waitFor(() => h.sim.submitted.length > before, 'the edited prompt');
    const prompt = (h.sim.submitted.at(-1) as { prompt: Prompt }).prompt;
    const original = (h.sim.submitted.find((request) => JSON.stringify(request).includes('a lighthouse at dusk')) as { prompt: Prompt }).prompt;
    expect(Object.values(prompt).filter((node) => node.class_type === 'CLIPTextEncode').map((node) => node.inputs['text'])).toEqual(['a lighthouse at dawn', '']);
    expect(nodeOf(prompt, 'KSampler')['seed']).toBe(nodeOf(original, 'KSampler')['seed']);
  });

  it('refuses a button naming another job than the message\'s own (a forged custom id)', async () => {
    const bob = member('bob');
    const { token, jobId } = await queueImagine(h.discord, bob, 'bob\'s own');
    await result(token);
    const forged = h.discord.press(four.message, `job:delete:${jobId}:0`, bob);
    const refusal = await waitForOriginal(h.discord, forged.token, (message) => message.content !== '', 'the refusal');
    expect(refusal).toMatchObject({ content: 'That button does not belong to this message.', flags: 64 });
    expect(h.discord.deletedMessages.has(four.message.id)).toBe(false);
  });

  it('refuses Delete to a stranger, privately, and deletes for the requester', async () => {
    const stranger = h.discord.press(four.message, idOf(four.message, 'job:delete:'), member('bob'));
    const refusal = await waitForOriginal(h.discord, stranger.token, (message) => message.content !== '', 'the refusal');
    expect(refusal).toMatchObject({ content: `Only the member who made job \`${four.jobId}\` (or an admin of this server) can delete it.`, flags: 64 });
    expect(h.discord.deletedMessages.has(four.message.id)).toBe(false);
    const mine = h.discord.press(four.message, idOf(four.message, 'job:delete:'), ann);
    const answer = await waitForOriginal(h.discord, mine.token, (message) => message.content !== '', 'the answer');
    expect(answer).toMatchObject({ content: `Deleted the result of job \`${four.jobId}\`.`, flags: 64 });
    expect(h.discord.deletedMessages.has(four.message.id)).toBe(true);
  });

  it('splits a batch that does not fit one upload over messages at full quality, each with its pictures\' buttons', async () => {
    const sizes = four.message.files.map((file) => file.length);
    // Room for two pictures but not three.
    const limit = 16 * 1024 + Math.floor(2.5 * (sizes.reduce((sum, size) => sum + size, 0) / sizes.length));
    expect(2 * Math.max(...sizes) <= limit - 16 * 1024 && 3 * Math.min(...sizes) > limit - 16 * 1024).toBe(true);
    const { token } = h.discord.chatInput('imagine', [option('prompt', 'a batch too big for one message'), option('count', 4)], ann, { attachmentSizeLimit: limit });
    const first = await result(token);
    const jobId = idOf(first, 'job:delete:').split(':')[2] as string;
    const second = await waitFor(() => h.discord.followUps.find((message) => message.files.length > 0 && JSON.stringify(message.components).includes(jobId)), 'the second part');
    expect([first.files.length, second.files.length]).toEqual([2, 2]);
    for (const file of [...first.files, ...second.files]) expect((await sharp(file).metadata()).format).toBe('png');
    const actions = (message: StoredMessage) => rowsOf(message).map((row) => row.map((button) => button.custom_id.split(':').slice(1).join(':')));
    expect(actions(second)).toEqual([
      ...[2, 3].map((image) => ['vary-subtle', 'vary-strong', 'upscale', 'animate'].map((action) => `${action}:${jobId}:${image}`)),
      ['reroll', 'edit', 'delete'].map((action) => `${action}:${jobId}:2`),
    ]);
    expect(actions(first).at(-1)).toEqual(['reroll', 'edit', 'delete'].map((action) => `${action}:${jobId}:0`));
    const uploadsBefore = new Set(h.sim.state.files.keys());
    await follow(second, `job:vary-subtle:${jobId}:3`);
    const uploaded = [...h.sim.state.files.entries()].filter(([key]) => key.startsWith('input/') && !uploadsBefore.has(key));
    expect(uploaded.map(([, bytes]) => bytes.equals(second.files[1] as Buffer))).toEqual([true]);
  });

  it('works on a result made before the bot restarted', async () => {
    const { token, jobId } = await queueImagine(h.discord, ann, 'an owl in the snow');
    const message = await result(token);
    await h.restartBot();
    const { prompt } = await follow(message, `job:vary-strong:${jobId}:0`);
    expect(nodeOf(prompt, 'KSampler')['denoise']).toBe(0.7);
    expect(nodeOf(prompt, 'CLIPTextEncode')['text']).toBe('an owl in the snow');
  });

  it('says so when the job behind a button is not in the ledger', async () => {
    // A result message whose job the ledger no longer has (pruned after 30 days).
    const old = { ...four.message, components: JSON.parse(JSON.stringify(four.message.components).replaceAll(four.jobId, 'zzzzzzzz')) as unknown[] };
    const { token } = h.discord.press(old, 'job:reroll:zzzzzzzz:0', ann);
    const refusal = await waitForOriginal(h.discord, token, (message) => message.content !== '', 'the refusal');
    expect(refusal).toMatchObject({ content: expect.stringMatching(/^That result is no longer in the bot's records/) as string, flags: 64 });
  });
});
