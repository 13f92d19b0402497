import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireInstanceLock, InstanceLockedError } from '../../src/jobs/instance-lock.js';
import { waitFor } from '../helpers.js';
import { ROOT } from '../run-script.js';

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** Another process holding the lock, as a running bot would. */
async function holder(dataDir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/jobs/hold-instance-lock.ts', dataDir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await waitFor(() => output.includes('locked') || child.exitCode !== null, 'the other process to take the lock', 15_000);
  expect(output).toBe('locked\n');
  return child;
}

describe('acquireInstanceLock', () => {
  it('locks a ledger kept outside DATA_DIR (JOBS_DB) by its own path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'instance-lock-db-'));
    dirs.push(dir);
    const ledger = join(dir, 'jobs.sqlite');
    const first = acquireInstanceLock(ledger, `${ledger}.lock`, 'JOBS_DB');
    expect(() => acquireInstanceLock(ledger, `${ledger}.lock`, 'JOBS_DB')).toThrow(`Another copy of the bot is already running with JOBS_DB=${ledger} (it holds ${ledger}.lock). Stop it first, or give this one its own JOBS_DB.`);
    first.release();
  });

  it('refuses while another process holds DATA_DIR, and is free again once that process is killed', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'instance-lock-'));
    dirs.push(dataDir);
    const child = await holder(dataDir);
    expect(() => acquireInstanceLock(dataDir)).toThrow(InstanceLockedError);
    expect(() => acquireInstanceLock(dataDir)).toThrow(
      `Another copy of the bot is already running with DATA_DIR=${dataDir} (it holds ${join(dataDir, 'bot.lock')}). Stop it first, or give this one its own DATA_DIR.`,
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(child.pid as number, 'SIGKILL');
    await exited;
    const lock = acquireInstanceLock(dataDir);
    lock.release();
  });

  it('is held for this process until released, and a missing DATA_DIR is created', async () => {
    const dataDir = join(await mkdtemp(join(tmpdir(), 'instance-lock-')), 'fresh');
    dirs.push(dataDir);
    const lock = acquireInstanceLock(dataDir);
    expect(() => acquireInstanceLock(dataDir)).toThrow(InstanceLockedError);
    lock.release();
    lock.release();
    acquireInstanceLock(dataDir).release();
  });
});
