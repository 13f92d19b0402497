import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Job } from '../../src/jobs/job.js';
import { JobStore, LedgerWriteError } from '../../src/jobs/store.js';
import { waitFor } from '../helpers.js';

const dirs: string[] = [];
const cleanups: Array<() => void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
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

/** A second connection holding the write lock, as another program (or a stuck backup) would. */
function holdWriteLock(path: string): { release(): void } {
  const other = new Database(path);
  other.exec('BEGIN IMMEDIATE');
  const release = (): void => {
    if (other.open) other.close();
  };
  cleanups.push(release);
  return { release };
}

function tokenOf(path: string, id: string): string | undefined {
  const raw = new Database(path, { readonly: true });
  try {
    return (raw.prepare('SELECT interaction_token FROM jobs WHERE id = ?').get(id) as { interaction_token: string } | undefined)?.interaction_token;
  } finally {
    raw.close();
  }
}

function stateOf(path: string, id: string): string | undefined {
  const raw = new Database(path, { readonly: true });
  try {
    return (raw.prepare('SELECT state FROM jobs WHERE id = ?').get(id) as { state: string } | undefined)?.state;
  } finally {
    raw.close();
  }
}

describe('JobStore', () => {
  it('creates the database on first start, in WAL mode, at the latest schema', async () => {
    const path = await dbPath();
    const store = new JobStore(path);
    expect(store.schemaVersion).toBe(4);
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
    // Jobs from direct messages (no guild) count together, durably, as one more server.
    const direct = job('d', 'cy', 7_000);
    store.insert({ ...direct, origin: { ...direct.origin, guildId: null } });
    expect(store.recentInDms(0)).toEqual([7_000]);
    expect(store.recentByGuild('g1', 0)).toEqual([1_000, 5_000, 6_000]);
    store.update({ ...job('x', 'ann', 1_000), state: 'done' });
    now = 1_000_000;
    expect(store.prune(1_000)).toBe(1);
    expect(store.active().map((entry) => entry.id)).toEqual(['y', 'z', 'd']);
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

  it('keeps an update it cannot write, returns at once, and writes the latest one when the lock goes', async () => {
    const path = await dbPath();
    const errors: Array<[Error, string | undefined]> = [];
    const store = new JobStore(path, Date.now, { onError: (error, jobId) => errors.push([error, jobId]), retryBaseMs: 20 });
    cleanups.push(() => store.close());
    store.insert(job('a'));
    store.insert(job('b'));
    const lock = holdWriteLock(path);
    const started = performance.now();
    expect(() => store.update({ ...job('a'), state: 'submitted', promptId: 'P-a' })).not.toThrow();
    store.update({ ...job('a'), state: 'running', promptId: 'P-a' });
    store.update({ ...job('b'), state: 'done' });
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(store.pendingWrites).toBe(2);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.[0].message).toMatch(/database is locked/);
    lock.release();
    await waitFor(() => store.pendingWrites === 0, 'the pending writes to land');
    expect(stateOf(path, 'a')).toBe('running');
    expect(stateOf(path, 'b')).toBe('done');
    expect(errors).toHaveLength(1);
  });

  it('refuses a new job it cannot write with a LedgerWriteError, quickly', async () => {
    const path = await dbPath();
    const store = new JobStore(path);
    cleanups.push(() => store.close());
    holdWriteLock(path);
    const started = performance.now();
    let thrown: unknown;
    try {
      store.insert(job('x'), { bytes: Buffer.from([1]), extension: 'png' });
    } catch (error) {
      thrown = error;
    }
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(thrown).toBeInstanceOf(LedgerWriteError);
    expect((thrown as LedgerWriteError).jobId).toBe('x');
    expect((thrown as Error).message).toMatch(/could not save job x .*database is locked.*try again/i);
  });

  it('after a failed insert, refuses further ones at once for a second instead of blocking on the lock each time', async () => {
    const path = await dbPath();
    let now = 1_000;
    const store = new JobStore(path, () => now);
    cleanups.push(() => store.close());
    const lock = holdWriteLock(path);
    expect(() => store.insert(job('a'))).toThrow(LedgerWriteError);
    lock.release();
    // The lock is gone, but within the second the store does not try: no 200 ms wait per command meanwhile.
    expect(() => store.insert(job('b'))).toThrow(LedgerWriteError);
    now += 1_001;
    store.insert(job('c'));
    expect(store.active().map((entry) => entry.id)).toEqual(['c']);
  });

  it('drops the interaction token once a job is final, and keeps it while the job is active', async () => {
    const path = await dbPath();
    const store = new JobStore(path);
    for (const id of ['a', 'b', 'c', 'd']) store.insert(job(id));
    store.update({ ...job('a'), state: 'done' });
    store.update({ ...job('b'), state: 'failed' });
    store.update({ ...job('c'), state: 'cancelled' });
    store.update({ ...job('d'), state: 'delivering', promptId: 'P-d' });
    store.close();
    expect(['a', 'b', 'c', 'd'].map((id) => tokenOf(path, id))).toEqual(['', '', '', 't-d']);
  });

  it('drops the tokens of jobs that finished before the upgrade', async () => {
    const path = await dbPath();
    const store = new JobStore(path);
    store.insert(job('old'));
    store.insert(job('live'));
    store.close();
    const raw = new Database(path);
    raw.exec(`ALTER TABLE jobs DROP COLUMN delivery_target; ALTER TABLE jobs DROP COLUMN delivery_message_id;
      ALTER TABLE jobs DROP COLUMN parent_job; ALTER TABLE jobs DROP COLUMN parent_image; ALTER TABLE inputs DROP COLUMN mask; ALTER TABLE jobs DROP COLUMN outputs; ALTER TABLE jobs DROP COLUMN delivered; ALTER TABLE jobs DROP COLUMN run_ms; ALTER TABLE jobs DROP COLUMN locale; ALTER TABLE jobs DROP COLUMN guild_locale; ALTER TABLE jobs DROP COLUMN spoiler; DROP INDEX jobs_by_requester_seq;
      UPDATE jobs SET state = 'done' WHERE id = 'old'`);
    raw.pragma('user_version = 1');
    raw.close();
    new JobStore(path).close();
    expect([tokenOf(path, 'old'), tokenOf(path, 'live')]).toEqual(['', 't-live']);
  });

  it('skips a row it cannot read, says so, and still gives back every other job', async () => {
    const path = await dbPath();
    new JobStore(path).close();
    const errors: string[] = [];
    const store = new JobStore(path, Date.now, { onError: (error) => errors.push(error.message) });
    cleanups.push(() => store.close());
    store.insert(job('fine'));
    store.insert(job('broken'));
    const raw = new Database(path);
    raw.exec(`UPDATE jobs SET params = '{"prompt": {"nested": true}}' WHERE id = 'broken'`);
    raw.close();
    expect(store.active().map((entry) => entry.id)).toEqual(['fine']);
    expect(errors).toEqual([expect.stringMatching(/^skipped an unreadable job row/)]);
  });

  it('keeps a job\'s spoiler across a restart (the channel asked for it when the job was made)', async () => {
    const path = await dbPath();
    const store = new JobStore(path);
    store.insert({ ...job('hidden'), spoiler: true });
    store.insert(job('shown'));
    store.close();
    const again = new JobStore(path);
    cleanups.push(() => again.close());
    expect(again.active().map((entry) => [entry.id, entry.spoiler ?? false])).toEqual([['hidden', true], ['shown', false]]);
  });

  it('reads back a finished job with the result it was made from', async () => {
    const path = await dbPath();
    const store = new JobStore(path);
    cleanups.push(() => store.close());
    store.insert({ ...job('child'), parent: { jobId: 'mother', image: 2 } });
    store.update({ ...job('child'), state: 'done', values: { prompt: 'x', seed: 7 } });
    expect(store.get('child')).toMatchObject({ state: 'done', parent: { jobId: 'mother', image: 2 }, values: { seed: 7 } });
    expect(store.get('nobody')).toBeUndefined();
  });

  it('keeps where a delivery went across a reopen, and knows which ids it holds', async () => {
    const path = await dbPath();
    const store = new JobStore(path);
    store.insert(job('a'));
    store.insert(job('b'));
    store.update({ ...job('a'), state: 'delivering', promptId: 'P-a', deliveryTarget: 'channel:c1' });
    store.update({ ...job('b'), state: 'delivering', promptId: 'P-b', deliveryTarget: 'dm:d1', deliveryMessageId: 'm1' });
    store.close();
    const reopened = new JobStore(path);
    cleanups.push(() => reopened.close());
    expect(reopened.active().map((entry) => [entry.id, entry.deliveryTarget, entry.deliveryMessageId])).toEqual([['a', 'channel:c1', undefined], ['b', 'dm:d1', 'm1']]);
    expect([reopened.has('a'), reopened.has('zz')]).toEqual([true, false]);
  });

  it('flushes pending writes once when closed', async () => {
    const path = await dbPath();
    const store = new JobStore(path, Date.now, { retryBaseMs: 60_000 });
    store.insert(job('a'));
    const lock = holdWriteLock(path);
    store.update({ ...job('a'), state: 'cancelled' });
    expect(store.pendingWrites).toBe(1);
    lock.release();
    store.close();
    expect(stateOf(path, 'a')).toBe('cancelled');
  });
});
