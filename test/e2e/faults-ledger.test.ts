import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers.js';
import { member, option, startHarness, waitForOriginal, type Harness } from './harness.js';

let h: Harness;
let other: Database.Database | undefined;
beforeAll(async () => {
  h = await startHarness({ sim: { runMs: 600 } });
});
afterAll(async () => {
  other?.close();
  await h?.stop();
});

/** Another program holding a write lock on the ledger (a backup tool, a second connection, a full disk's errors). */
function lockLedger(): Database.Database {
  const db = new Database(join(h.bot.env['DATA_DIR'] as string, 'jobs.sqlite'), { timeout: 0 });
  db.exec('BEGIN IMMEDIATE');
  return db;
}

describe('the job ledger cannot be written', () => {
  it('keeps running: a job in flight is delivered, a new one is refused privately, and all works again once the lock goes', async () => {
    const { token: running } = h.discord.chatInput('imagine', [option('prompt', 'in flight')], member('ivy'));
    await waitForOriginal(h.discord, running, (message) => /Queued/.test(message.content), 'the queued reply');
    other = lockLedger();
    await waitForOriginal(h.discord, running, (message) => message.files.length > 0, 'the job in flight', 15_000);

    const { token: refused } = h.discord.chatInput('imagine', [option('prompt', 'not now')], member('jay'));
    // The refusal is private: the first answer itself, or (once the reply was public) an ephemeral follow-up.
    const sentence = /^I could not save job `\w+` \(the bot's job database is not writable right now\), so it was not queued\. Please try again in a minute\.$/;
    const refusal = await waitFor(() => [h.discord.originals.get(refused), ...h.discord.followUps].find((message) => message && sentence.test(message.content)), 'the refusal', 10_000);
    expect(refusal.flags & 64).toBe(64);
    expect(h.sim.submitted.some((body) => JSON.stringify(body).includes('not now'))).toBe(false);

    other.exec('ROLLBACK');
    other.close();
    other = undefined;
    // For a second after a failed write the ledger refuses at once; then a new job goes through.
    const later = await waitFor(async () => {
      const { token } = h.discord.chatInput('imagine', [option('prompt', 'later')], member('kim'));
      const answer = await waitForOriginal(h.discord, token, (message) => message.content !== '', 'an answer');
      const refused = sentence.test(answer.content) || answer.content.startsWith('Not queued');
      return refused ? undefined : token;
    }, 'a job accepted after the lock', 15_000);
    await waitForOriginal(h.discord, later, (message) => message.files.length > 0, 'a job after the lock', 15_000);
    expect(h.bot.output).toContain('the job database is not writable');
    // The updates kept while it was locked reach the ledger.
    const check = new Database(join(h.bot.env['DATA_DIR'] as string, 'jobs.sqlite'), { readonly: true });
    try {
      await waitFor(() => (check.prepare("SELECT COUNT(*) AS n FROM jobs WHERE state = 'done'").get() as { n: number }).n === 2, 'both results recorded as done', 15_000).catch((error: Error) => {
        throw new Error(`${error.message}: ${JSON.stringify(check.prepare('SELECT id, state FROM jobs').all())}`);
      });
    } finally {
      check.close();
    }
  });
});
