import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ComfyClient } from '../../src/comfy/client.js';
import { parseServer } from '../../src/comfy/server.js';
import { MANAGER_PERMISSIONS } from '../fakes/discord/payloads.js';
import { readAll, waitFor } from '../helpers.js';
import { member, option, slash as slashCommand, waitForOriginal } from '../e2e/harness.js';
import { startRealHarness, type RealHarness } from './harness.js';

/** The bot as `npm start` runs it, the fake Discord, and the real ComfyUI: every command, every real refusal. */
const url = inject('comfyUrl');
let h: RealHarness;
let comfy: ComfyClient;
beforeAll(async () => {
  // DEFAULT_IMG2VID_TEMPLATE is left at its default, img2vid, which needs custom nodes this server lacks.
  h = await startRealHarness(url, { COMFYUI_MAX_IN_FLIGHT: '2', DEFAULT_IMG2VID_TEMPLATE: '' });
  comfy = new ComfyClient({ server: parseServer(url), clientId: `contract-${randomUUID()}` });
});
afterAll(async () => {
  await h?.stop();
  await comfy?.close();
});

type Prompt = Record<string, { inputs: Record<string, unknown> }>;

/** The real history entry whose prompt (node 10 of the model-free templates) is `text`. */
async function historyOf(text: string, node = '10') {
  const history = await comfy.getHistory(200);
  return Object.entries(history).find(([, entry]) => (entry.prompt[2] as Prompt | undefined)?.[node]?.inputs['value'] === text);
}

async function imagine(user: ReturnType<typeof member>, prompt: string, extra: Array<ReturnType<typeof option>> = []) {
  const { token } = h.discord.chatInput('imagine', [option('prompt', prompt), ...extra], user);
  const reply = await waitForOriginal(h.discord, token, (message) => /job `(\w+)`/.test(message.content) || message.content !== '' && !/^Queued/.test(message.content), `${prompt} to be answered`, 30_000);
  return { token, reply, jobId: /job `(\w+)`/.exec(reply.content)?.[1] };
}

const slash = (name: string, user: ReturnType<typeof member>, options: Array<ReturnType<typeof option>> = []) => slashCommand(h.discord, name, user, options, {}, 30_000);

describe('the bot on the real ComfyUI', () => {
  it('chooses a default it can run, and says so at start', async () => {
    await h.bot.waitForLog(/default \/img2vid template: real-img2vid/, 30_000);
    expect(h.bot.output).toContain('\\"img2vid\\" cannot run: node type VHS_VideoCombine is not installed — it comes from the ComfyUI-VideoHelperSuite custom nodes; the server has no checkpoint to offer for ckpt_name; using real-img2vid instead');
  });

  it('/imagine: the picture ComfyUI saved arrives byte for byte, the prompt reaches the real history byte for byte', async () => {
    const prompt = 'a "quoted" {{braces}} {x}\nsecond line 🦊 @everyone \\ back\\slash';
    const { token } = h.discord.chatInput('imagine', [option('prompt', prompt), option('seed', 42)], member('ann'));
    const done = await waitForOriginal(h.discord, token, (message) => message.files.length > 0, 'the picture', 30_000);
    const [id, entry] = (await historyOf(prompt)) ?? [];
    expect(id).toBeDefined();
    expect((entry?.prompt[2] as Prompt)['2']?.inputs['seed']).toBe(42);
    const saved = (entry?.outputs['3'] as { images: Array<{ filename: string; subfolder: string; type: string }> }).images[0];
    const view = await comfy.view(saved as NonNullable<typeof saved>);
    expect(done.files[0]?.equals(await readAll(view.stream))).toBe(true);
    expect((done.embeds[0] as { description: string }).description).toContain('second line 🦊');
  });

  it('/img2vid: uploads the attachment byte for byte and delivers the real animated WebP, then its GIF', async () => {
    const still = await sharp({ create: { width: 20, height: 14, channels: 3, background: 'orange' } }).png().toBuffer();
    const attachment = h.discord.addAttachment('still.png', still, 'image/png');
    const { token } = h.discord.chatInput('img2vid', [{ name: 'image', type: 11, value: attachment.id }, option('frames', 5)], member('bo'), { attachments: [attachment] });
    const done = await waitForOriginal(h.discord, token, (message) => message.files.length > 1, 'the animation and its GIF', 30_000);
    expect(await sharp(done.files[0] as Buffer, { animated: true }).metadata()).toMatchObject({ format: 'webp', pages: 5, width: 20 });
    expect(await sharp(done.files[1] as Buffer, { animated: true }).metadata()).toMatchObject({ format: 'gif', pages: 5 });
    // The WebP did not wait for its GIF: it arrived alone, and the GIF was added by a later edit.
    const uploads = h.discord.requests.filter((request) => request.path.includes(token) && request.files.length > 0);
    expect(uploads.map((request) => request.files.map((file) => file.filename.split('.').pop()))).toEqual([['webp'], ['gif']]);
    // The suite shares one server: this test alone asks for 5 frames.
    const history = Object.values(await comfy.getHistory(200)).find((entry) => (entry.prompt[2] as Prompt | undefined)?.['2']?.inputs['amount'] === 5);
    const loaded = String((history?.prompt[2] as Prompt)['1']?.inputs['image']);
    const [subfolder, filename] = loaded.split('/');
    const uploaded = await comfy.view({ filename: filename as string, subfolder: subfolder as string, type: 'input' });
    expect((await readAll(uploaded.stream)).equals(still)).toBe(true);
  });

  it('/queue and /cancel of a job waiting in the bot, one pending in ComfyUI and one running; every answer true', async () => {
    const [ann, bo, cy] = [member('queue-ann'), member('queue-bo'), member('queue-cy')];
    const running = await imagine(ann, 'slow one', [option('template', 'real-slow')]);
    await waitFor(async () => (await comfy.getQueue()).running.length === 1, 'the slow job to run', 30_000);
    const pending = await imagine(bo, 'slow two', [option('template', 'real-slow')]);
    await waitFor(async () => (await comfy.getQueue()).pending.length === 1, 'the second to be pending in ComfyUI', 30_000);
    const waiting = await imagine(cy, 'fast three');
    const queue = await slash('queue', ann);
    expect(queue).toContain(`\`${running.jobId}\` /imagine by queue-ann (yours)`);
    expect(queue).toContain(`\`${pending.jobId}\` /imagine by queue-bo`);
    expect(queue).toMatch(new RegExp(`1\\. \`${waiting.jobId}\` /imagine by queue-cy`));
    expect(queue).toContain('ComfyUI reports 2 prompts in its own queue.');

    expect(await slash('cancel', bo, [option('job', running.jobId)])).toBe(`Job \`${running.jobId}\` is not yours to cancel.`);
    expect(await slash('cancel', cy)).toBe(`Cancelled job \`${waiting.jobId}\` before it started.`);
    expect(await slash('cancel', bo)).toBe(`Cancelled job \`${pending.jobId}\`; it is removed from ComfyUI's queue.`);
    expect((await comfy.getQueue()).pending).toEqual([]);

    const button = (h.discord.originals.get(running.token)?.components as Array<{ components: Array<{ custom_id: string }> }>)[0]?.components[0]?.custom_id as string;
    const click = h.discord.button(button, ann, running.token);
    expect((await waitForOriginal(h.discord, click.token, (message) => message.content !== '', 'the button answer')).content).toBe(`Stopping job \`${running.jobId}\` on ComfyUI…`);
    await waitForOriginal(h.discord, running.token, (message) => message.content.includes('was cancelled'), 'the job to end', 30_000);
    // Said only once ComfyUI really stopped it (between two nodes): its history already records the interrupt.
    const [, entry] = (await historyOf('slow one', '30')) ?? [];
    expect(entry?.status?.messages.map(([type]) => type)).toContain('execution_interrupted');
    expect(h.discord.originals.get(waiting.token)?.content).toBe(`Job \`${waiting.jobId}\` was cancelled.`);
    await waitForOriginal(h.discord, pending.token, (message) => message.content === `Job \`${pending.jobId}\` was cancelled.`, 'the pending job to end');
  });

  it('/cancel all by an admin empties the bot and ComfyUI', async () => {
    await imagine(member('all-1'), 'slow all', [option('template', 'real-slow')]);
    await waitFor(async () => (await comfy.getQueue()).running.length === 1, 'it to run', 30_000);
    expect(await slash('cancel', member('mod', { permissions: MANAGER_PERMISSIONS }), [option('all', true)])).toMatch(/^Cancelled 1 jobs?/);
    await waitFor(async () => (await comfy.getQueue()).running.length === 0, 'ComfyUI to stop it', 30_000);
  });

  it.each([
    ['a template needing a checkpoint the server lacks', [option('template', 'txt2img')], /^Template "txt2img" cannot run on any ComfyUI server here: the server has no checkpoint to offer for ckpt_name\. An admin can install what is missing; templates that work now: .*real-imagine/],
    ['a template needing custom nodes', [option('template', 'img2vid')], /^Template "img2vid" is for \/img2vid, not \/imagine\.$/],
    ['an unknown template, listing only those that can run', [option('template', 'nope')], /^There is no template "nope"\. Available: (?!.*txt2img).*real-imagine.*\.$/],
  ])('refuses %s before anything reaches ComfyUI', async (_case, extra, expected) => {
    const { reply } = await imagine(member('refused'), 'x', extra);
    expect(reply.content).toMatch(expected);
  });

  it('names the custom-node pack an /img2vid template needs', async () => {
    const still = await sharp({ create: { width: 8, height: 8, channels: 3, background: 'red' } }).png().toBuffer();
    const attachment = h.discord.addAttachment('s.png', still, 'image/png');
    const { token } = h.discord.chatInput('img2vid', [{ name: 'image', type: 11, value: attachment.id }, option('template', 'img2vid')], member('vhs'), { attachments: [attachment] });
    const reply = await waitForOriginal(h.discord, token, (message) => message.content !== '', 'the refusal', 30_000);
    expect(reply.content).toBe('Template "img2vid" cannot run on any ComfyUI server here: node type VHS_VideoCombine is not installed — it comes from the ComfyUI-VideoHelperSuite custom nodes; the server has no checkpoint to offer for ckpt_name. An admin can install what is missing; templates that work now: real-img2vid.');
  });

  it.each([
    ['a value out of range', 'real-range', [option('seed', 99_999_999)], /^ComfyUI refused job `\w+`: color on EmptyImage \(node 1\): Value 99999999 bigger than max of 16777215$/],
    ['a missing input image', 'real-missing', [], /^ComfyUI refused job `\w+`: the input image no-such-picture\.png is not on the server \(upload it first\)$/],
    ['a node failing at run time', 'real-fails', [], /^Job `\w+` failed in SaveImage: .*Saving image outside the output folder is not allowed\.?$/],
    ['a partial validation (a 200 that carries node_errors)', 'real-partial', [], /^ComfyUI refused job `\w+`: the input image no-such-file-on-server\.png is not on the server \(upload it first\)$/],
  ])('tells the member in plain words about %s', async (_case, template, extra, expected) => {
    const { token } = h.discord.chatInput('imagine', [option('prompt', `real error ${template}`), option('template', template), ...extra], member('err'));
    const reply = await waitForOriginal(h.discord, token, (message) => expected.test(message.content), 'the reason', 30_000).catch((error: Error) => {
      throw new Error(`${error.message}; the reply says: ${h.discord.originals.get(token)?.content}`);
    });
    expect(reply.files).toEqual([]);
  });
});
