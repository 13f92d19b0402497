import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FairQueue } from '../../src/jobs/fair-queue.js';
import type { Job, JobProgress } from '../../src/jobs/job.js';
import { QuotaError, Scheduler, type JobRunner, type NewJob, type Reservation } from '../../src/jobs/scheduler.js';
import { waitFor } from '../helpers.js';
import { ManualClock } from '../manual-clock.js';

class Unavailable extends Error {}
class Lost extends Error {}

/** A backend whose prompts finish when the test says so. */
class StubRunner implements JobRunner<string> {
  submitted: string[] = [];
  cancelled: string[] = [];
  failSubmit: Error | undefined;
  private readonly pending = new Map<string, { resolve: (value: string) => void; reject: (error: Error) => void; result: Promise<string>; progress: (p: JobProgress) => void }>();

  /** Like the real runner: the prompt's outcome exists from submission on, before anyone follows it. */
  async submit(job: Job) {
    if (this.failSubmit) throw this.failSubmit;
    const prompt = job.params['prompt'] as string;
    this.submitted.push(prompt);
    let settle!: { resolve: (value: string) => void; reject: (error: Error) => void };
    const result = new Promise<string>((resolve, reject) => (settle = { resolve, reject }));
    result.catch(() => undefined);
    this.pending.set(prompt, { ...settle, result, progress: () => undefined });
    return { promptId: `p-${job.id}-${job.resubmits}`, values: { ...job.params, seed: 1 }, dropped: [] };
  }
  follow(job: Job, onProgress: (progress: JobProgress) => void): Promise<string> {
    const entry = this.pending.get(job.params['prompt'] as string);
    if (!entry) return Promise.reject(new Lost('never submitted'));
    entry.progress = onProgress;
    return entry.result;
  }
  async cancel(job: Job) {
    this.cancelled.push(job.params['prompt'] as string);
    const wasRunning = this.started.has(job.params['prompt'] as string);
    this.pending.get(job.params['prompt'] as string)?.reject(new Error('interrupted'));
    return wasRunning ? 'interrupted' as const : 'deleted' as const;
  }
  started = new Set<string>();
  resume() { /* not used by these tests */ }
  capacity = 1;
  inside_ = new Set<string>();
  reserve(job: Job): Reservation { if (this.inside_.size >= this.capacity) return { kind: 'busy' }; this.inside_.add(job.id); return { kind: 'reserved', server: 'stub' }; }
  release(job: Job) { this.inside_.delete(job.id); }
  newPromptId() { return `id-${++this.ids}`; }
  ids = 0;
  isUnavailable(error: unknown) { return error instanceof Unavailable; }
  isServerError() { return false; }
  mayHaveArrived(_error?: unknown): boolean { return false; }
  mayBeQueued() { /* not used by these tests */ }
  isLost(error: unknown) { return error instanceof Lost; }

  start(prompt: string) { this.started.add(prompt); this.pending.get(prompt)?.progress({ phase: 'started' }); }
  finish(prompt: string) { this.pending.get(prompt)?.resolve(`result ${prompt}`); }
  lose(prompt: string) { this.pending.get(prompt)?.reject(new Lost('gone')); }
  inside(prompt: string) { return this.pending.has(prompt); }
}

function newJob(user: string, prompt: string): NewJob {
  return {
    kind: 'imagine', template: 'txt2img', params: { prompt }, requester: { id: user, name: user },
    origin: { guildId: 'g', channelId: 'c', interactionId: 'i', interactionToken: 't', interactionAt: 0, attachmentLimit: 1 },
  };
}

function setup(maxInFlight = 1, maxWaitingPerUser = 10) {
  const runner = new StubRunner();
  runner.capacity = maxInFlight;
  const clock = new ManualClock();
  const scheduler = new Scheduler<string>(runner, { submitsPerMinute: 1000, maxWaitingPerUser, retryBaseMs: 1_000, retryMaxMs: 4_000, clock });
  const completed: string[] = [];
  scheduler.on('completed', (job, result) => {
    completed.push(result);
    scheduler.settle(job, 'done');
  });
  return { runner, scheduler, completed, clock };
}

describe('FairQueue', () => {
  it('serves owners in turn, each in their own order', () => {
    const queue = new FairQueue<{ id: string; owner: string }>((item) => item.owner);
    for (const [id, owner] of [['a1', 'a'], ['a2', 'a'], ['a3', 'a'], ['b1', 'b'], ['c1', 'c'], ['b2', 'b']]) queue.push({ id: id as string, owner: owner as string });
    expect(queue.ordered().map((item) => item.id)).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'a3']);
    expect(queue.positionOf('b2')).toBe(5);
    expect(queue.remove('b1')?.id).toBe('b1');
    expect([queue.shift()?.id, queue.shift()?.id, queue.shift()?.id, queue.shift()?.id, queue.shift()?.id, queue.shift()]).toEqual(['a1', 'b2', 'c1', 'a2', 'a3', undefined]);
  });

  it('puts an owner who was just served behind owners who have had nothing yet', () => {
    const queue = new FairQueue<{ id: string; owner: string }>((item) => item.owner);
    queue.push({ id: 'a1', owner: 'a' });
    expect(queue.shift()?.id).toBe('a1');
    queue.push({ id: 'a2', owner: 'a' });
    queue.push({ id: 'b1', owner: 'b' });
    queue.push({ id: 'c1', owner: 'c' });
    expect(queue.ordered().map((item) => item.id)).toEqual(['b1', 'c1', 'a2']);
  });
});

describe('FairQueue positions', () => {
  it('agree with the full walk, whatever was pushed, served, put back or removed (property)', () => {
    const action = fc.oneof(
      fc.record({ kind: fc.constant('push' as const), owner: fc.integer({ min: 0, max: 5 }) }),
      fc.record({ kind: fc.constant('shift' as const) }),
      fc.record({ kind: fc.constant('unshift' as const) }),
      fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
    );
    fc.assert(fc.property(fc.array(action, { maxLength: 60 }), (actions) => {
      const queue = new FairQueue<{ id: string; owner: string }>((item) => item.owner);
      let next = 0;
      let lastShifted: { id: string; owner: string } | undefined;
      for (const step of actions) {
        if (step.kind === 'push') queue.push({ id: `i${next++}`, owner: `o${step.owner}` });
        else if (step.kind === 'shift') lastShifted = queue.shift();
        else if (step.kind === 'unshift' && lastShifted) {
          queue.unshift(lastShifted);
          lastShifted = undefined;
        } else if (step.kind === 'remove') {
          const all = queue.ordered();
          if (all.length > 0) queue.remove((all[step.pick % all.length] as { id: string }).id);
        }
      }
      const ordered = queue.ordered();
      ordered.forEach((item, index) => expect(queue.positionOf(item.id)).toBe(index + 1));
      expect(queue.head(3)).toEqual(ordered.slice(0, 3));
    }), { numRuns: 500, seed: 42 });
  });
});

describe('Scheduler', () => {
  it('runs three members\' jobs round-robin', async () => {
    const { runner, scheduler, completed } = setup();
    for (const [user, prompt] of [['ann', 'a1'], ['ann', 'a2'], ['ann', 'a3'], ['bob', 'b1'], ['cy', 'c1'], ['bob', 'b2']]) scheduler.enqueue(newJob(user as string, prompt as string));
    expect(scheduler.snapshot().waiting.map((job) => job.params['prompt'])).toEqual(['b1', 'c1', 'a2', 'b2', 'a3']);
    for (const prompt of ['a1', 'b1', 'c1', 'a2', 'b2', 'a3']) {
      await waitFor(() => runner.inside(prompt), `${prompt} to be submitted`);
      runner.finish(prompt);
    }
    await waitFor(() => completed.length === 6, 'all jobs');
    expect(runner.submitted).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'a3']);
  });

  it('keeps the next prompt inside the backend before the current one finishes, and no more', async () => {
    const { runner, scheduler } = setup(2);
    for (const prompt of ['x1', 'x2', 'x3']) scheduler.enqueue(newJob(prompt, prompt));
    await waitFor(() => runner.inside('x1') && runner.inside('x2'), 'two prompts inside');
    expect(runner.submitted).toEqual(['x1', 'x2']);
    runner.finish('x1');
    await waitFor(() => runner.inside('x3'), 'x3 to follow');
  });

  it('refuses a member over the waiting cap', () => {
    const { scheduler } = setup(1, 2);
    scheduler.enqueue(newJob('ann', '1'));
    scheduler.enqueue(newJob('ann', '2'));
    scheduler.enqueue(newJob('ann', '3'));
    expect(() => scheduler.enqueue(newJob('ann', '4'))).toThrow(QuotaError);
    expect(() => scheduler.enqueue(newJob('bob', '1'))).not.toThrow();
  });

  it('cancels a waiting job, a job inside the backend and a running one; never someone else\'s', async () => {
    const { runner, scheduler } = setup(2);
    const running = scheduler.enqueue(newJob('ann', 'run'));
    const pending = scheduler.enqueue(newJob('ann', 'pend'));
    const waiting = scheduler.enqueue(newJob('ann', 'wait'));
    await waitFor(() => runner.inside('pend'), 'two inside');
    runner.start('run');
    await waitFor(() => running.state === 'running', 'running');
    expect(await scheduler.cancel(waiting.id, 'bob', false)).toBe('not-yours');
    expect(await scheduler.cancel(waiting.id, 'ann', false)).toBe('removed');
    expect(await scheduler.cancel(pending.id, 'ann', false)).toBe('deleted-from-comfy');
    expect(await scheduler.cancel(running.id, 'mod', true)).toBe('interrupted');
    await waitFor(() => running.state === 'cancelled' && pending.state === 'cancelled', 'both cancelled');
    expect(runner.cancelled).toEqual(['pend', 'run']);
    expect(waiting.state).toBe('cancelled');
    expect(runner.submitted).not.toContain('wait');
  });

  it('cancels a job whose prompt is on its way to the backend once it arrives there', async () => {
    const { runner, scheduler } = setup();
    let release: () => void = () => undefined;
    const original = runner.submit.bind(runner);
    runner.submit = async (job) => {
      await new Promise<void>((resolve) => (release = resolve));
      return original(job);
    };
    const job = scheduler.enqueue(newJob('ann', 'slow-submit'));
    await waitFor(() => job.state === 'submitting', 'the submission to start');
    expect(await scheduler.cancel(job.id, 'ann', false)).toBe('stopping');
    release();
    await waitFor(() => job.state === 'cancelled', 'the cancel to land');
    expect(runner.cancelled).toEqual(['slow-submit']);
  });

  it('submits a lost prompt once more, then reports it', async () => {
    const { runner, scheduler } = setup();
    const failed: Error[] = [];
    scheduler.on('failed', (_job, error) => failed.push(error));
    scheduler.enqueue(newJob('ann', 'fragile'));
    await waitFor(() => runner.inside('fragile'), 'submitted');
    runner.lose('fragile');
    await waitFor(() => runner.submitted.length === 2, 'resubmitted');
    await waitFor(() => runner.inside('fragile'), 'inside again');
    runner.lose('fragile');
    await waitFor(() => failed.length === 1, 'reported');
  });

  it('keeps jobs while the backend is unreachable, says so once, and runs them when it returns', async () => {
    const { runner, scheduler, completed, clock } = setup();
    const outages: Error[] = [];
    let back = 0;
    scheduler.on('unavailable', (error) => outages.push(error));
    scheduler.on('available', () => back++);
    runner.failSubmit = new Unavailable('down');
    scheduler.enqueue(newJob('ann', 'a'));
    scheduler.enqueue(newJob('bob', 'b'));
    await waitFor(() => outages.length === 1 && clock.pending === 1, 'the outage');
    // Still down at each retry: the pause doubles up to the cap (jitter fixed at 0.5 → ×0.875).
    for (let retry = 0; retry < 3; retry++) {
      clock.advance(4_000);
      await waitFor(() => clock.pending === 1 && clock.delays.length === retry + 2, `retry ${retry + 1}`);
    }
    expect(clock.delays).toEqual([875, 1_750, 3_500, 3_500]);
    expect(runner.submitted).toEqual([]);
    runner.failSubmit = undefined;
    clock.advance(4_000);
    await waitFor(() => runner.inside('a'), 'a after the outage');
    runner.finish('a');
    await waitFor(() => runner.inside('b'), 'b');
    runner.finish('b');
    await waitFor(() => completed.length === 2, 'both');
    expect([outages.length, back]).toEqual([1, 1]);
  });
});

describe('a job waiting for a submission slot (the rate limit)', () => {
  it('is shown as waiting, and cancelling it removes it before it is ever sent', async () => {
    const runner = new StubRunner();
    runner.capacity = 5;
    const scheduler = new Scheduler<string>(runner, { submitsPerMinute: 1, maxWaitingPerUser: 5 });
    try {
      scheduler.enqueue(newJob('ann', 'first'));
      const second = scheduler.enqueue(newJob('bob', 'second'));
      await waitFor(() => runner.submitted.includes('first'), 'the first submission');
      expect(scheduler.snapshot().waiting.map((job) => job.id)).toEqual([second.id]);
      expect(await scheduler.cancel(second.id, 'bob', false)).toBe('removed');
      expect(second.state).toBe('cancelled');
      expect(scheduler.snapshot().waiting).toEqual([]);
      expect(runner.submitted).toEqual(['first']);
    } finally {
      scheduler.stop();
    }
  });
});

describe('cancelling while the backend does not answer', () => {
  it('says it will stop the job once the backend answers, and does', async () => {
    const runner = new StubRunner();
    const clock = new ManualClock();
    const scheduler = new Scheduler<string>(runner, { submitsPerMinute: 1000, maxWaitingPerUser: 5, clock });
    try {
      const job = scheduler.enqueue(newJob('ann', 'unreachable'));
      await waitFor(() => job.state === 'submitted', 'the submission');
      const cancel = runner.cancel.bind(runner);
      let down = true;
      runner.cancel = async (target) => {
        if (down) throw new Unavailable('ComfyUI is not answering');
        return cancel(target);
      };
      expect(await scheduler.cancel(job.id, 'ann', false)).toBe('deferred');
      clock.advance(500);
      await waitFor(() => clock.pending === 1 && clock.delays.length === 2, 'a second try that fails too');
      expect(job.state).toBe('submitted');
      down = false;
      clock.advance(1_000);
      await waitFor(() => job.state === 'cancelled', 'the cancel to land once the backend answers');
      expect(clock.delays).toEqual([500, 1_000]);
      expect(runner.cancelled).toEqual(['unreachable']);
    } finally {
      scheduler.stop();
    }
  });
});

describe('a send that may have landed', () => {
  it('keeps the prompt id through every retry while the backend cannot say whether it has it', async () => {
    class Late extends Error {}
    const runner = new StubRunner();
    const sent: string[] = [];
    const original = runner.submit.bind(runner);
    let failures = [new Late('timed out'), new Late('cannot ask')];
    runner.submit = async (job) => {
      sent.push(job.promptId as string);
      const failure = failures[0];
      failures = failures.slice(1);
      if (failure) throw failure;
      return original(job);
    };
    runner.isUnavailable = (error) => error instanceof Late || error instanceof Unavailable;
    runner.mayHaveArrived = (error?: unknown) => error instanceof Late;
    const clock = new ManualClock();
    const scheduler = new Scheduler<string>(runner, { submitsPerMinute: 1000, maxWaitingPerUser: 5, retryBaseMs: 1_000, retryMaxMs: 4_000, clock });
    try {
      const job = scheduler.enqueue(newJob('ann', 'maybe landed'));
      for (const tries of [1, 2]) {
        await waitFor(() => sent.length === tries && clock.pending === 1, `try ${tries} to fail`);
        clock.advance(4_000);
      }
      await waitFor(() => job.state === 'submitted', 'the third try to go through');
      expect(sent).toHaveLength(3);
      expect(new Set(sent).size).toBe(1);
    } finally {
      scheduler.stop();
    }
  });
});

describe('Scheduler.jobsWhere', () => {
  it('lists unfinished jobs that match, waiting ones first, without walking the fair order', async () => {
    const runner = new StubRunner();
    const scheduler = new Scheduler<string>(runner, { submitsPerMinute: 1000, maxWaitingPerUser: 5 });
    try {
      const inside = scheduler.enqueue(newJob('ann', 'inside'));
      await waitFor(() => inside.state === 'submitted', 'the first to be sent');
      const waiting = scheduler.enqueue(newJob('ann', 'waiting'));
      const other = scheduler.enqueue(newJob('bob', 'other'));
      expect(scheduler.jobsWhere((job) => job.requester.id === 'ann').map((job) => job.id)).toEqual([waiting.id, inside.id]);
      expect(scheduler.jobsWhere(() => true)).toContain(other);
    } finally {
      scheduler.stop();
    }
  });
});
