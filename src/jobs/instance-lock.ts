import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';

/** Another bot process already runs on this DATA_DIR: two would restore and run the same jobs. */
export class InstanceLockedError extends Error {
  override name = 'InstanceLockedError';
  constructor(readonly setting: string, readonly dataDir: string, readonly lockPath: string) {
    super(`Another copy of the bot is already running with ${setting}=${dataDir} (it holds ${lockPath}). Stop it first, or give this one its own ${setting}.`);
  }
}

export interface InstanceLock {
  release(): void;
}

/**
 * Makes this process the only bot on `dataDir` until `release` (or exit). The lock is SQLite's exclusive file lock
 * on DATA_DIR/bot.lock, a POSIX lock the OS drops when the process dies, so even a SIGKILL leaves nothing stale.
 */
export function acquireInstanceLock(dataDir: string, lockPath = join(dataDir, 'bot.lock'), setting = 'DATA_DIR'): InstanceLock {
  mkdirSync(dirname(lockPath), { recursive: true });
  const db = new Database(lockPath, { timeout: 0 });
  try {
    // The file never holds data: without this, a killed holder leaves a (harmless) bot.lock-journal behind.
    db.pragma('journal_mode = MEMORY');
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code === 'SQLITE_BUSY') throw new InstanceLockedError(setting, dataDir, lockPath);
    throw error;
  }
  return {
    release() {
      if (db.open) db.close();
    },
  };
}
