import { describe, expect, it } from 'vitest';
import { Estimator } from '../../src/jobs/estimates.js';
import type { Job } from '../../src/jobs/job.js';

let clock = 1_000_000;
const job = (id: string, extra: Partial<Job> = {}): Job => ({
  id, kind: 'imagine', template: 'txt2img', params: {}, requester: { id: 'u', name: 'u' }, state: 'waiting', createdAt: 0, resubmits: 0,
  origin: { guildId: 'g', channelId: 'c', interactionId: 'i', interactionToken: 't', interactionAt: 0, attachmentLimit: 1 }, ...extra,
});

describe('Estimator', () => {
  it('uses the kind\'s default before any run, then the median of runs on that server, then on any server', () => {
    const estimates = new Estimator([], () => clock);
    expect(estimates.runMs(job('a'))).toBe(20_000);
    expect(estimates.runMs(job('v', { kind: 'img2vid', template: 'img2vid' }))).toBe(90_000);
    for (const ms of [4_000, 6_000, 50_000]) estimates.record({ template: 'txt2img', server: 'gpu1', ms });
    expect(estimates.runMs(job('a', { backend: 'gpu1' }))).toBe(6_000);
    expect(estimates.runMs(job('a', { backend: 'gpu2' }))).toBe(6_000);
  });

  it('a waiting job starts when the running one is left and those ahead have run, shared by the servers', () => {
    const estimates = new Estimator([{ template: 'txt2img', server: undefined, ms: 10_000 }], () => clock);
    const running = job('r', { state: 'running', startedAt: clock - 4_000 });
    const ahead = job('w1');
    expect(estimates.estimate(job('me'), [running], [ahead], 1)).toEqual({ startAt: clock + 6_000 + 10_000, finishAt: clock + 26_000 });
    expect(estimates.estimate(job('me2'), [running], [ahead], 2)).toEqual({ startAt: clock + 8_000, finishAt: clock + 18_000 });
    expect(estimates.estimate(running, [running], [], 1)).toEqual({ finishAt: clock + 6_000 });
  });

  it('keeps the shown estimate until it moves by more than the threshold', () => {
    const estimates = new Estimator([{ template: 'txt2img', server: undefined, ms: 60_000 }], () => clock);
    const first = estimates.estimate(job('me'), [], [job('w1')], 1);
    clock += 5_000;
    expect(estimates.estimate(job('me'), [], [job('w1')], 1)).toEqual(first);
    clock += 30_000;
    expect(estimates.estimate(job('me'), [], [job('w1')], 1)).not.toEqual(first);
  });
});
