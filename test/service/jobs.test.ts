import { describe, expect, it } from 'vitest';
import type { Template } from '../../src/comfy/templates.js';
import { loadTemplates } from '../../src/comfy/templates.js';
import type { PromptResult } from '../../src/comfy/watcher.js';
import type { Job } from '../../src/jobs/job.js';
import { Scheduler, type JobRunner } from '../../src/jobs/scheduler.js';
import { JobService, type Requester, type SubmitRequest } from '../../src/service/jobs.js';
import { templateDirs } from '../../src/templates-registry.js';

/** A backend that never has room: jobs stay waiting, which is all these tests need. */
const idle: JobRunner<PromptResult> = {
  reserve: () => ({ kind: 'busy' }), release: () => undefined, newPromptId: () => 'p', submit: () => Promise.reject(new Error('unused')),
  follow: () => new Promise(() => undefined), resume: () => undefined, cancel: async () => 'gone', isUnavailable: () => false,
  isServerError: () => false, mayBeQueued: () => undefined, mayHaveArrived: () => false, isLost: () => false,
};

type Deps = ConstructorParameters<typeof JobService>[0];

async function service(settings: Partial<Deps['settings']> = {}, now = () => 1_000_000, extra: Partial<Deps> = {}, unfit: readonly string[] = ['img2vid']) {
  const templates = await loadTemplates(templateDirs(undefined));
  const scheduler = new Scheduler<PromptResult>(idle, { submitsPerMinute: 1000, maxWaitingPerUser: 5, now });
  const announced: Array<{ job: Job; position: number }> = [];
  const starts: number[] = [];
  const jobs = new JobService({
    settings: { BANNED_WORDS: ['gore'], ADMINS_EXEMPT: true, JOBS_PER_HOUR: 30, COOLDOWN_SECONDS: 0, GUILD_JOBS_PER_HOUR: 0, GUILD_MAX_WAITING: 0, MAX_WAITING_PER_USER: 5, ...settings },
    templates, scheduler, now, shuttingDown: () => false, defaults: { imagine: 'txt2img', img2vid: 'img2vid', img2img: 'img2img', upscale: 'upscale-latent', inpaint: 'inpaint' },
    pool: { fitness: (template: Template) => (unfit.includes(template.name) ? 'unfit' : 'fits'), describeMissing: () => ['node type VHS_VideoCombine is not installed'], refreshStale: async () => undefined, comboValues: async (type: string) => (type === 'KSampler' ? ['euler', 'dpmpp_2m'] : []), anyUp: true,
      size: 1, labelOf: (name: string | undefined) => name ?? '', queueRemaining: async () => 2, status: async () => [], names: [] },
    store: { recentByRequester: () => starts, recentByGuild: () => [], recentInDms: () => [], get: () => undefined, latestOf: () => [] }, keepDays: 30,
    announce: (job, position) => void announced.push({ job, position }),
    ...extra,
  });
  return { jobs, scheduler, announced, starts };
}

const ann: Requester = { userId: 'ann', name: 'ann', guildId: 'g', channelId: 'c', isAdmin: false };
const request = (extra: Partial<SubmitRequest> = {}): SubmitRequest => ({
  kind: 'imagine', template: undefined, params: { prompt: 'a fox' }, requester: ann,
  reply: { interactionId: 'i', interactionToken: 't', attachmentLimit: 1e7 },
  whenSlow: async () => undefined, beforeQueue: async () => undefined, ...extra,
});

describe('JobService (no Discord)', () => {
  it('queues a job with the default template, after the caller\'s public answer exists, and shows its place', async () => {
    const { jobs, announced } = await service();
    const order: string[] = [];
    const job = await jobs.submit(request({ beforeQueue: async () => void order.push('answered') }));
    order.push('queued');
    expect(order).toEqual(['answered', 'queued']);
    expect(job).toMatchObject({ template: 'txt2img', state: 'waiting', requester: { id: 'ann' }, origin: { guildId: 'g', interactionToken: 't' } });
    expect(announced.map((entry) => entry.position)).toEqual([1]);
  });

  it('takes a channel\'s (or its category\'s) defaults: its template when it makes this kind of job and can run, spoiler, steps', async () => {
    const channelDefaults = () => ({ c: { template: 'img2vid-core', steps: 9, spoiler: true }, cat: { template: 'upscale-model' } });
    const { jobs } = await service({}, () => 1_000_000, { channelDefaults }, ['img2vid', 'upscale-model']);
    const picture = await jobs.submit(request());
    expect(picture).toMatchObject({ template: 'txt2img', params: { steps: 9 }, spoiler: true });
    const video = await jobs.submit(request({ kind: 'img2vid', params: {}, requester: { ...ann, userId: 'bob' } }));
    expect(video.template).toBe('img2vid-core');
    // The category's template cannot run on any server: the command's default is taken instead of refusing.
    const upscale = await jobs.submit(request({ kind: 'upscale', params: {}, requester: { ...ann, userId: 'cy', channelId: 'other', categoryId: 'cat' } }));
    expect(upscale).toMatchObject({ template: 'upscale-latent' });
    expect(upscale.spoiler).toBeUndefined();
  });

  it('refuses in plain sentences, before anything is queued or answered publicly', async () => {
    const { jobs, scheduler } = await service({ COOLDOWN_SECONDS: 60 });
    let answered = false;
    const refusal = (extra: Partial<SubmitRequest>) => jobs.submit(request({ ...extra, beforeQueue: async () => void (answered = true) })).then(() => 'queued', (error: Error) => error.message);
    expect(await refusal({ params: { prompt: 'g o r e' } })).toBe('input.banned');
    expect(await refusal({ template: 'img2vid', kind: 'img2vid' })).toBe('input.unfit');
    expect(await refusal({ template: 'nope' })).toBe('input.unknownTemplate');
    expect(await refusal({ params: { prompt: 'x', steps: 500 } })).toMatch(/steps must be between 1 and 100/);
    expect(answered).toBe(false);
    expect(scheduler.snapshot().waiting).toEqual([]);
  });

  it('holds a member\'s quota slot while a slow check runs, so a second command at once is refused', async () => {
    const { jobs } = await service({ COOLDOWN_SECONDS: 60 });
    let release: () => void = () => undefined;
    const slow = jobs.submit(request({ fetchInput: () => new Promise((resolve) => (release = () => resolve({ bytes: Buffer.alloc(1), extension: 'png' }))) }));
    await expect(jobs.submit(request())).rejects.toMatchObject({ id: 'quota.cooldown' });
    release();
    await slow.catch(() => undefined);
  });

  it('cancels only what the caller may: their own jobs, and an admin\'s server\'s', async () => {
    const { jobs } = await service();
    const job = await jobs.submit(request());
    expect(await jobs.cancel({ userId: 'bob', guildId: 'g', isAdmin: false }, job.id)).toEqual({ outcome: 'not-yours', id: job.id });
    expect(await jobs.cancel({ userId: 'mod', guildId: 'other', isAdmin: true }, job.id)).toEqual({ outcome: 'not-yours', id: job.id });
    expect(jobs.cancellable({ userId: 'mod', guildId: 'g', isAdmin: true })).toEqual([job.id]);
    expect(await jobs.cancel({ userId: 'ann', guildId: 'g', isAdmin: false })).toEqual({ outcome: 'removed', id: job.id });
    expect(await jobs.cancel({ userId: 'ann', guildId: 'g', isAdmin: false })).toEqual({ outcome: 'none', id: '' });
  });

  it('lists the queue a caller may see, counts the rest, and refuses a fourth ask at once', async () => {
    const { jobs } = await service();
    const mine = await jobs.submit(request());
    await jobs.submit(request({ requester: { ...ann, userId: 'dee', name: 'dee', guildId: 'elsewhere' } }));
    const view = await jobs.queue({ userId: 'ann', guildId: 'g' });
    for (let ask = 0; ask < 3; ask++) jobs.admitQueueAsk({ userId: 'ann', guildId: 'g' });
    expect(view.waiting.map(({ job, place }) => [job.id, place])).toEqual([[mine.id, 1]]);
    expect([view.hidden, view.comfyRemaining]).toEqual([1, 2]);
    expect(() => jobs.admitQueueAsk({ userId: 'ann', guildId: 'g' })).toThrow(expect.objectContaining({ id: 'queue.tooFast' }));
    expect(() => jobs.admitQueueAsk({ userId: 'bob', guildId: 'g' })).not.toThrow();
  });

  it('suggests runnable templates of the command and the values a server offers', async () => {
    const { jobs } = await service();
    expect(await jobs.suggestions('imagine', 'template', undefined)).toContain('txt2img');
    expect(await jobs.suggestions('img2vid', 'template', undefined)).toEqual(['img2vid-core']);
    expect(await jobs.suggestions('imagine', 'sampler', undefined)).toEqual(['euler', 'dpmpp_2m']);
  });

  it('lets only admins cancel everything, naming the admin role when there is one', async () => {
    const { jobs } = await service({ ADMIN_ROLE_ID: '42' });
    await jobs.submit(request());
    await expect(jobs.cancelAll({ userId: 'ann', guildId: 'g', isAdmin: false })).rejects.toMatchObject({ id: 'cancel.allForbiddenRole', values: { role: '42' } });
    expect(await jobs.cancelAll({ userId: 'mod', guildId: 'g', isAdmin: true })).toBe(1);
  });

  it('lets the requester (as Discord names them) or an admin delete a result the ledger has forgotten', async () => {
    const { jobs } = await service();
    expect(jobs.mayDelete({ userId: 'ann', guildId: 'g', isAdmin: false }, 'forgotten', 'ann')).toBe(true);
    expect(jobs.mayDelete({ userId: 'bob', guildId: 'g', isAdmin: false }, 'forgotten', 'ann')).toBe(false);
    expect(jobs.mayDelete({ userId: 'mod', guildId: 'g', isAdmin: true }, 'forgotten', undefined)).toBe(true);
  });
});
