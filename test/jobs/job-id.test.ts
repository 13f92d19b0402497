import { describe, expect, it } from 'vitest';
import type { Job } from '../../src/jobs/job.js';
import { Scheduler, type JobRunner, type NewJob } from '../../src/jobs/scheduler.js';

/** A backend that is never free: enqueued jobs stay waiting, which is all these tests need. */
const busyRunner: JobRunner<string> = {
  reserve: () => ({ kind: 'busy' }), release: () => undefined, newPromptId: () => 'p', submit: () => Promise.reject(new Error('unused')),
  follow: () => Promise.reject(new Error('unused')), resume: () => undefined, cancel: async () => 'gone',
  isUnavailable: () => false, isServerError: () => false, mayHaveArrived: () => false, mayBeQueued: () => undefined, isLost: () => false,
};

function newJob(prompt: string): NewJob {
  return {
    kind: 'imagine', template: 'txt2img', params: { prompt }, requester: { id: 'u', name: 'u' },
    origin: { guildId: 'g', channelId: 'c', interactionId: 'i', interactionToken: 't', interactionAt: 0, attachmentLimit: 1 },
  };
}

function idsFrom(...ids: string[]): () => string {
  return () => ids.shift() ?? 'exhausted';
}

describe('job ids', () => {
  it('draws another id when the first clashes with a job the scheduler holds', () => {
    const scheduler = new Scheduler<string>(busyRunner, { submitsPerMinute: 60, maxWaitingPerUser: 10, newId: idsFrom('aaa', 'aaa', 'bbb') });
    expect([scheduler.enqueue(newJob('one')).id, scheduler.enqueue(newJob('two')).id]).toEqual(['aaa', 'bbb']);
  });

  it('draws another id when the first is already in the ledger (a finished job)', () => {
    const inserted: Job[] = [];
    const ledger = { insert: (job: Job) => inserted.push(job), update: () => undefined, has: (id: string) => id === 'old' };
    const scheduler = new Scheduler<string>(busyRunner, { ledger, submitsPerMinute: 60, maxWaitingPerUser: 10, newId: idsFrom('old', 'new') });
    expect(scheduler.enqueue(newJob('one')).id).toBe('new');
    expect(inserted.map((job) => job.id)).toEqual(['new']);
  });

  it('are short, readable and carry 40+ random bits by default', () => {
    const scheduler = new Scheduler<string>(busyRunner, { submitsPerMinute: 60, maxWaitingPerUser: 5_000 });
    const ids = Array.from({ length: 2_000 }, (_, index) => scheduler.enqueue(newJob(`p${index}`)).id);
    for (const id of ids) expect(id).toMatch(/^[0-9a-z]{8}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
