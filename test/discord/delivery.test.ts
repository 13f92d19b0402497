import { Readable } from 'node:stream';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { OutputFile } from '../../src/comfy/outputs.js';
import { Delivery } from '../../src/discord/delivery.js';
import { DiscordHttpError, type OutgoingUpload } from '../../src/discord/uploader.js';
import type { Job } from '../../src/jobs/job.js';
import { createLogger } from '../../src/log.js';
import { waitFor } from '../helpers.js';

interface Call {
  method: string;
  route: string;
  body: Record<string, unknown>;
  files: string[];
}

/** The Discord REST seam, played by a stub: records each call and answers like Discord (or fails on demand). */
function stubDiscord(fail: (call: Call) => Error | undefined = () => undefined) {
  const calls: Call[] = [];
  let ids = 0;
  return {
    calls,
    async send(method: 'GET' | 'PATCH' | 'POST', route: string, options: { body?: unknown; files?: readonly OutgoingUpload[]; auth: boolean }): Promise<unknown> {
      const call = { method, route, body: (options.body ?? {}) as Record<string, unknown>, files: (options.files ?? []).map((file) => file.name) };
      for (const file of options.files ?? []) await file.open();
      calls.push(call);
      const failure = fail(call);
      if (failure) throw failure;
      if (route === '/users/@me/channels') return { id: '900' };
      return { id: `m${++ids}`, attachments: call.files.map((_name, index) => ({ id: `att${ids}-${index}` })) };
    },
  };
}

function outputsOf(files: Map<string, Buffer>) {
  const done: string[] = [];
  return {
    done,
    source: {
      async open(_job: Job, file: OutputFile) {
        const bytes = files.get(file.filename) as Buffer;
        return { stream: Readable.from([bytes]), contentType: 'application/octet-stream', contentLength: bytes.length };
      },
      done: (job: Job) => void done.push(job.id),
    },
  };
}

function jobOf(extra: Partial<Job> = {}): Job {
  return {
    id: 'job1', kind: 'imagine', template: 'txt2img', params: { prompt: 'a fox' }, requester: { id: '111', name: 'ann' },
    origin: { guildId: 'g', channelId: '222', interactionId: 'i', interactionToken: 'tok', interactionAt: Date.now(), attachmentLimit: 10_000_000 },
    state: 'delivering', createdAt: Date.now() - 1_000, resubmits: 0, ...extra,
  };
}

const file = (filename: string, kind: OutputFile['kind'] = 'image'): OutputFile => ({ filename, subfolder: '', type: 'output', nodeId: '9', key: 'images', kind });

function delivery(discord: ReturnType<typeof stubDiscord>, outputs: ReturnType<typeof outputsOf>) {
  return new Delivery({ discord, appId: '1', outputs: outputs.source, logger: createLogger({ level: 'silent' }), progressEditMs: 1_000, retryDelayMs: 1 });
}

describe('Delivery', () => {
  it('edits the reply with the picture streamed from ComfyUI and an embed, then lets go of the outputs', async () => {
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: 'red' } }).png().toBuffer();
    const discord = stubDiscord();
    const outputs = outputsOf(new Map([['out.png', png]]));
    expect(await delivery(discord, outputs).complete(jobOf(), { promptId: 'p', outputs: [file('out.png')], cached: false })).toBe('done');
    expect(discord.calls).toHaveLength(1);
    expect(discord.calls[0]).toMatchObject({ method: 'PATCH', route: '/webhooks/1/tok/messages/@original', files: ['out.png'] });
    expect(discord.calls[0]?.body).toMatchObject({ allowed_mentions: { parse: [] } });
    // No follow-up template is runnable here: only the job's own row (reroll, edit, delete) is shown.
    expect(discord.calls[0]?.body.components).toEqual([{ type: 1, components: ['reroll', 'edit', 'delete'].map((action) => expect.objectContaining({ custom_id: `job:${action}:job1:0` })) }]);
    expect(outputs.done).toEqual(['job1']);
  });

  it('says why when ComfyUI dropped the outputs that would have made files', async () => {
    const discord = stubDiscord();
    await delivery(discord, outputsOf(new Map())).complete(jobOf({ dropped: ['the input image x.png is not on the server (upload it first)'] }), { promptId: 'p', outputs: [], cached: false });
    expect(discord.calls.at(-1)?.body['content']).toBe('ComfyUI refused job `job1`: the input image x.png is not on the server (upload it first)');
  });

  it('posts to the channel, mentioning the member and with a job nonce, when the reply was deleted', async () => {
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: 'blue' } }).png().toBuffer();
    const discord = stubDiscord((call) => (call.route.includes('@original') ? new DiscordHttpError(404, 10008, 'Unknown Message', call.route) : undefined));
    expect(await delivery(discord, outputsOf(new Map([['out.png', png]]))).complete(jobOf(), { promptId: 'p', outputs: [file('out.png')], cached: false })).toBe('done');
    const post = discord.calls.find((call) => call.route === '/channels/222/messages');
    expect(post?.body).toMatchObject({ enforce_nonce: true, allowed_mentions: { parse: [], users: ['111'] } });
    expect(String(post?.body['nonce'])).toContain('job1');
    expect(String(post?.body['content'])).toMatch(/^<@111> your job `job1` is done; its original reply was deleted/);
  });

  it('sends an animated WebP first and adds its GIF by a later edit that keeps the WebP', async () => {
    const frames = await Promise.all(['red', 'blue'].map((colour) => sharp({ create: { width: 16, height: 16, channels: 3, background: colour } }).png().toBuffer()));
    const webp = await sharp(frames, { join: { animated: true } }).webp().toBuffer();
    const discord = stubDiscord();
    await delivery(discord, outputsOf(new Map([['anim.webp', webp]]))).complete(jobOf(), { promptId: 'p', outputs: [file('anim.webp', 'animation')], cached: false });
    await waitFor(() => discord.calls.length === 2, 'the GIF edit');
    expect(discord.calls.map((call) => call.files)).toEqual([['anim.webp'], ['anim.gif']]);
    expect(discord.calls[1]?.body['attachments']).toEqual([{ id: 'att1-0' }, { id: 0, filename: 'anim.gif' }]);
  });
});
