import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Job } from '../../src/jobs/job.js';
import { JobStore } from '../../src/jobs/store.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function dbPath(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'store-'));
  dirs.push(dir);
  return join(dir, 'nested', 'jobs.sqlite');
}

function job(id: string, user = 'u1', createdAt = 1_000): Job {
  return {
    id, kind: 'imagine', template: 'txt2img', params: { prompt: `p ${id}`, steps: 8 }, requester: { id: user, name: user },
    origin: { guildId: 'g1', channelId: 'c1', interactionId: `i-${id}`, interactionToken: `t-${id}`, interactionAt: createdAt, attachmentLimit: 1024 },
    state: 'waiting', createdAt, resubmits: 0,
  };
}

describe('JobStore', () => {
  it('creates the database on first start, in WAL mode, at the latest schema', async () => {
    const path = await dbPath();
    const store = new JobStore(path);
    expect(store.schemaVersion).toBe(1);
    store.close();
    const raw = new Database(path);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
  });

  it('keeps unfinished jobs across a reopen, in the order they were accepted, with their inputs', async () => {
    const path = await dbPath();
    const store = new JobStore(path);
    store.insert(job('b'));
    store.insert(job('a'), { bytes: Buffer.from([1, 2, 3]), extension: 'png' });
    const submitted = { ...job('c'), state: 'submitted' as const, promptId: 'P-c', values: { seed: 42 }, submittedAt: 2_000 };
    store.insert(job('c'));
    store.update(submitted);
    const done = job('d');
    store.insert(done);
    store.update({ ...done, state: 'done' });
    store.close();
    const reopened = new JobStore(path);
    const active = reopened.active();
    expect(active.map((entry) => [entry.id, entry.state, entry.promptId])).toEqual([['b', 'waiting', undefined], ['a', 'waiting', undefined], ['c', 'submitted', 'P-c']]);
    expect(active[2]).toMatchObject({ values: { seed: 42 }, recovered: true, origin: { interactionToken: 't-c' } });
    expect(reopened.input('a')).toEqual({ bytes: Buffer.from([1, 2, 3]), extension: 'png' });
    reopened.update({ ...job('a'), state: 'cancelled' });
    expect(reopened.input('a')).toBeUndefined();
    reopened.close();
  });

  it('answers recent-job questions for quotas and prunes old finished jobs', async () => {
    let now = 10_000;
    const store = new JobStore(await dbPath(), () => now);
    store.insert(job('x', 'ann', 1_000));
    store.insert(job('y', 'ann', 5_000));
    store.insert(job('z', 'bob', 6_000));
    expect(store.recentByRequester('ann', 2_000)).toEqual([5_000]);
    expect(store.recentByGuild('g1', 0)).toEqual([1_000, 5_000, 6_000]);
    store.update({ ...job('x', 'ann', 1_000), state: 'done' });
    now = 1_000_000;
    expect(store.prune(1_000)).toBe(1);
    expect(store.active().map((entry) => entry.id)).toEqual(['y', 'z']);
    store.close();
  });

  it('refuses a database from a newer version of the bot', async () => {
    const path = await dbPath();
    new JobStore(path).close();
    const raw = new Database(path);
    raw.pragma('user_version = 99');
    raw.close();
    expect(() => new JobStore(path)).toThrow(/newer version of the bot \(schema 99\)/);
  });
});
