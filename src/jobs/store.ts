import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { JOB_KINDS, JOB_STATES, type Job, type JobState } from './job.js';

/** Bytes of an image a member attached, kept with the job until it is done. */
export interface StoredInput {
  bytes: Buffer;
  extension: string;
  /** For inpainting: a PNG whose alpha marks what to keep (transparent = repaint), the image's size. */
  mask?: Buffer;
}

/** Each migration runs once, in order; `PRAGMA user_version` records how far a database has come. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE jobs (
     id TEXT PRIMARY KEY,
     seq INTEGER NOT NULL,
     kind TEXT NOT NULL,
     template TEXT NOT NULL,
     params TEXT NOT NULL,
     requester_id TEXT NOT NULL,
     requester_name TEXT NOT NULL,
     guild_id TEXT,
     channel_id TEXT,
     interaction_id TEXT NOT NULL,
     interaction_token TEXT NOT NULL,
     interaction_at INTEGER NOT NULL,
     attachment_limit INTEGER NOT NULL,
     state TEXT NOT NULL,
     backend TEXT,
     prompt_id TEXT,
     vals TEXT,
     message_id TEXT,
     resubmits INTEGER NOT NULL DEFAULT 0,
     created_at INTEGER NOT NULL,
     submitted_at INTEGER,
     started_at INTEGER,
     finished_at INTEGER,
     updated_at INTEGER NOT NULL
   );
   CREATE INDEX jobs_by_state ON jobs(state);
   CREATE INDEX jobs_by_requester ON jobs(requester_id, created_at);
   CREATE INDEX jobs_by_guild ON jobs(guild_id, created_at);
   CREATE TABLE inputs (
     job_id TEXT PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
     bytes BLOB NOT NULL,
     extension TEXT NOT NULL
   );`,
  // Where a result went, so a restart mid-upload can look there before posting twice; finished jobs keep no token.
  `ALTER TABLE jobs ADD COLUMN delivery_target TEXT;
   ALTER TABLE jobs ADD COLUMN delivery_message_id TEXT;
   UPDATE jobs SET interaction_token = '' WHERE state IN ('done', 'failed', 'cancelled');`,
  // A job made from a result's button names that result: the job and which of its images.
  `ALTER TABLE jobs ADD COLUMN parent_job TEXT;
   ALTER TABLE jobs ADD COLUMN parent_image INTEGER;
   ALTER TABLE inputs ADD COLUMN mask BLOB;
   ALTER TABLE jobs ADD COLUMN outputs TEXT;
   ALTER TABLE jobs ADD COLUMN delivered TEXT;
   ALTER TABLE jobs ADD COLUMN run_ms INTEGER;
   ALTER TABLE jobs ADD COLUMN locale TEXT;
   ALTER TABLE jobs ADD COLUMN guild_locale TEXT;
   CREATE INDEX jobs_by_requester_seq ON jobs(requester_id, seq);`,
  // A channel's config may ask for its results to be hidden behind a spoiler.
  `ALTER TABLE jobs ADD COLUMN spoiler INTEGER NOT NULL DEFAULT 0;`,
];

/**
 * How long a write waits for another connection's lock. better-sqlite3 waits synchronously, freezing the event loop
 * (websocket, interactions), so this stays short: 200 ms outlasts any of our own writes or a WAL checkpoint (a few ms)
 * and still leaves Discord's 3 s interaction deadline far away; longer holds are retried in the background instead.
 */
const BUSY_TIMEOUT_MS = 200;

/** A new job could not be written, so it must not be queued: the member is told to try again. */
/** After a failed insert, further inserts fail at once for this long (each blocked try costs the busy timeout). */
const INSERT_FAIL_FAST_MS = 1_000;

export class LedgerWriteError extends Error {
  override name = 'LedgerWriteError';
  constructor(readonly jobId: string, cause: unknown) {
    super(`could not save job ${jobId} to the job database (${cause instanceof Error ? cause.message : String(cause)}); `
      + 'check that DATA_DIR is writable and has free space, and that no other program holds jobs.sqlite open, then try again', { cause });
  }
}

export interface JobStoreOptions {
  /** Told once per failure streak (until every kept write has landed); `jobId` is unset for housekeeping writes. */
  onError?: (error: Error, jobId: string | undefined) => void;
  /** First delay before retrying kept writes; doubles up to `retryMaxMs`. */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

/** The fields a state change writes. */
interface Columns {
  id: string; state: JobState; backend: string | null; prompt_id: string | null; vals: string | null; message_id: string | null;
  resubmits: number; submitted_at: number | null; started_at: number | null; finished_at: number | null; updated_at: number;
  delivery_target: string | null; delivery_message_id: string | null; outputs: string | null; delivered: string | null; run_ms: number | null;
}

const ACTIVE: readonly JobState[] = ['waiting', 'submitting', 'submitted', 'running', 'delivering'];

const text = z.string();
const maybeText = z.string().nullable();
const maybeTime = z.number().nullable();
const ParamsSchema = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));
/** A row as SQLite gives it back: checked, since the file may have been written by another version or by hand. */
const RowSchema = z.object({
  id: text, kind: z.enum(JOB_KINDS), template: text, params: text, requester_id: text, requester_name: text,
  guild_id: maybeText, channel_id: maybeText, interaction_id: text, interaction_token: text, interaction_at: z.number(),
  attachment_limit: z.number(), state: z.enum(JOB_STATES), backend: maybeText, prompt_id: maybeText, vals: maybeText, message_id: maybeText,
  resubmits: z.number(), created_at: z.number(), submitted_at: maybeTime, started_at: maybeTime, finished_at: maybeTime,
  delivery_target: maybeText, delivery_message_id: maybeText, parent_job: maybeText, parent_image: maybeTime,
  outputs: maybeText, delivered: maybeText, locale: maybeText, guild_locale: maybeText, run_ms: maybeTime, spoiler: z.number().catch(0),
});
const OutputsSchema = z.array(z.object({ filename: z.string(), subfolder: z.string(), type: z.string(), kind: z.enum(['image', 'animation', 'video', 'audio', 'other']), bytes: z.number().optional() }));
type Row = z.infer<typeof RowSchema>;
const TimesSchema = z.array(z.object({ created_at: z.number() }));
const InputSchema = z.object({ bytes: z.instanceof(Buffer), extension: z.string(), mask: z.instanceof(Buffer).nullable() }).optional();

/**
 * The durable job ledger (SQLite in WAL mode): every accepted job is written before the member hears it is
 * queued, and every state change as it happens, so a restart finds every job again.
 */
export class JobStore {
  private insertsFailFastUntil = -Infinity;
  private lastInsertError: unknown;
  private readonly db: Database.Database;
  private seq: number;
  private readonly statements;
  /** Updates that could not be written yet, latest per job, retried until they land. */
  private readonly pending = new Map<string, Columns>();
  private retryTimer: NodeJS.Timeout | undefined;
  private retryAttempt = 0;
  private failing = false;
  private closed = false;

  constructor(path: string, private readonly now: () => number = Date.now, private readonly options: JobStoreOptions = {}) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.migrate();
    this.seq = z.object({ seq: z.number() }).parse(this.db.prepare('SELECT COALESCE(MAX(seq), 0) AS seq FROM jobs').get()).seq;
    this.statements = {
      insert: this.db.prepare(`INSERT INTO jobs (id, seq, kind, template, params, requester_id, requester_name, guild_id, channel_id,
        interaction_id, interaction_token, interaction_at, attachment_limit, state, backend, prompt_id, vals, message_id, resubmits,
        created_at, submitted_at, started_at, finished_at, updated_at, delivery_target, delivery_message_id, parent_job, parent_image, outputs, delivered, locale, guild_locale, run_ms, spoiler)
        VALUES (@id, @seq, @kind, @template, @params, @requester_id, @requester_name, @guild_id, @channel_id, @interaction_id,
        @interaction_token, @interaction_at, @attachment_limit, @state, @backend, @prompt_id, @vals, @message_id, @resubmits,
        @created_at, @submitted_at, @started_at, @finished_at, @updated_at, @delivery_target, @delivery_message_id, @parent_job, @parent_image, @outputs, @delivered, @locale, @guild_locale, @run_ms, @spoiler)`),
      update: this.db.prepare(`UPDATE jobs SET state = @state, backend = @backend, prompt_id = @prompt_id, vals = @vals, message_id = @message_id,
        resubmits = @resubmits, submitted_at = @submitted_at, started_at = @started_at, finished_at = @finished_at, updated_at = @updated_at,
        delivery_target = @delivery_target, delivery_message_id = @delivery_message_id, outputs = @outputs, delivered = @delivered, run_ms = @run_ms,
        interaction_token = CASE WHEN @state IN ('done', 'failed', 'cancelled') THEN '' ELSE interaction_token END WHERE id = @id`),
      has: this.db.prepare('SELECT 1 FROM jobs WHERE id = ?'),
      get: this.db.prepare('SELECT * FROM jobs WHERE id = ?'),
      insertInput: this.db.prepare('INSERT OR REPLACE INTO inputs (job_id, bytes, extension, mask) VALUES (?, ?, ?, ?)'),
      input: this.db.prepare('SELECT bytes, extension, mask FROM inputs WHERE job_id = ?'),
      deleteInput: this.db.prepare('DELETE FROM inputs WHERE job_id = ?'),
      active: this.db.prepare(`SELECT * FROM jobs WHERE state IN (${ACTIVE.map(() => '?').join(', ')}) ORDER BY seq`),
      runs: this.db.prepare('SELECT template, backend, run_ms FROM jobs WHERE run_ms IS NOT NULL ORDER BY seq DESC LIMIT ?'),
      latestOf: this.db.prepare('SELECT * FROM jobs WHERE requester_id = ? ORDER BY seq DESC LIMIT ?'),
      byRequester: this.db.prepare('SELECT created_at FROM jobs WHERE requester_id = ? AND created_at > ? ORDER BY created_at'),
      byGuild: this.db.prepare('SELECT created_at FROM jobs WHERE guild_id = ? AND created_at > ? ORDER BY created_at'),
      inDms: this.db.prepare('SELECT created_at FROM jobs WHERE guild_id IS NULL AND created_at > ? ORDER BY created_at'),
      prune: this.db.prepare(`DELETE FROM jobs WHERE state NOT IN (${ACTIVE.map(() => '?').join(', ')}) AND updated_at < ?`),
    };
  }

  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  /** Updates not yet written (the database was locked or failing); 0 when the ledger is up to date. */
  /** False while writes are failing (the disk is full, another program holds the file). */
  get writable(): boolean {
    return !this.failing;
  }

  get pendingWrites(): number {
    return this.pending.size;
  }

  /** Writes a new job (and its input image) in one transaction; throws LedgerWriteError if it could not. */
  insert(job: Job, input?: StoredInput): void {
    // Just failed: refuse at once for a moment rather than wait out the busy timeout on every command again.
    if (this.now() < this.insertsFailFastUntil) throw new LedgerWriteError(job.id, this.lastInsertError);
    try {
      this.writeNew(job, input);
    } catch (error) {
      this.noteFailure(error, job.id);
      this.lastInsertError = error;
      this.insertsFailFastUntil = this.now() + INSERT_FAIL_FAST_MS;
      throw new LedgerWriteError(job.id, error);
    }
    this.noteSuccess();
    if (this.pending.size > 0) this.flush();
  }

  /** Records a state change; never throws: a change that cannot be written now is kept and retried. */
  update(job: Job): void {
    this.pending.set(job.id, this.columns(job));
    // While earlier writes wait, the database is known to be failing: do not freeze the loop trying again per update.
    if (this.retryTimer) return;
    this.flush();
  }

  private writeNew(job: Job, input?: StoredInput): void {
    this.db.transaction(() => {
      this.statements.insert.run({ ...this.columns(job), seq: ++this.seq, kind: job.kind, template: job.template, params: JSON.stringify(job.params),
        requester_id: job.requester.id, requester_name: job.requester.name, guild_id: job.origin.guildId, channel_id: job.origin.channelId,
        interaction_id: job.origin.interactionId, interaction_token: job.origin.interactionToken, interaction_at: job.origin.interactionAt,
        attachment_limit: job.origin.attachmentLimit, created_at: job.createdAt, parent_job: job.parent?.jobId ?? null, parent_image: job.parent?.image ?? null, locale: job.locale ?? null, guild_locale: job.guildLocale ?? null, spoiler: job.spoiler ? 1 : 0 });
      if (input) this.statements.insertInput.run(job.id, input.bytes, input.extension, input.mask ?? null);
    })();
  }

  /** Writes kept updates until one fails; then retries later with a growing delay. */
  private flush(): void {
    for (const [id, columns] of this.pending) {
      try {
        this.writeUpdate(columns);
      } catch (error) {
        this.noteFailure(error, id);
        this.scheduleRetry();
        return;
      }
      this.pending.delete(id);
    }
    this.retryAttempt = 0;
    this.noteSuccess();
  }

  private writeUpdate(columns: Columns): void {
    this.db.transaction(() => {
      this.statements.update.run(columns);
      if (columns.state === 'done' || columns.state === 'failed' || columns.state === 'cancelled') this.statements.deleteInput.run(columns.id);
    })();
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.closed) return;
    const base = this.options.retryBaseMs ?? 250;
    const delay = Math.min(base * 2 ** this.retryAttempt++, this.options.retryMaxMs ?? 5_000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.flush();
    }, delay).unref();
  }

  private noteFailure(error: unknown, jobId: string | undefined): void {
    if (this.failing) return;
    this.failing = true;
    this.options.onError?.(error instanceof Error ? error : new Error(String(error)), jobId);
  }

  private noteSuccess(): void {
    if (this.pending.size === 0) this.failing = false;
  }

  /** True when a job with this id is in the ledger (finished ones included, until pruned). */
  has(jobId: string): boolean {
    return this.statements.has.get(jobId) !== undefined;
  }

  /** How long recent finished jobs ran, per template and server (newest first): what estimates start from. */
  recentRuns(limit: number): Array<{ template: string; server: string | undefined; ms: number }> {
    const rows = z.array(z.object({ template: z.string(), backend: z.string().nullable(), run_ms: z.number() })).parse(this.statements.runs.all(limit));
    return rows.map((row) => ({ template: row.template, server: row.backend ?? undefined, ms: row.run_ms }));
  }

  /** A member's latest jobs, newest first (any state; finished ones until pruned); unreadable rows are left out. */
  latestOf(userId: string, limit: number): Job[] {
    return this.statements.latestOf.all(userId, limit).flatMap((row) => {
      const parsed = RowSchema.safeParse(row);
      return parsed.success ? [toJob(parsed.data)] : [];
    });
  }

  /** A job in any state (finished ones until pruned): what a result's buttons are built from. */
  get(jobId: string): Job | undefined {
    const row: unknown = this.statements.get.get(jobId);
    return row === undefined ? undefined : toJob(RowSchema.parse(row));
  }

  input(jobId: string): StoredInput | undefined {
    const row = InputSchema.parse(this.statements.input.get(jobId));
    return row && { bytes: row.bytes, extension: row.extension, ...(row.mask ? { mask: row.mask } : {}) };
  }

  /** Jobs not yet finished, in the order they were accepted. */
  active(): Job[] {
    return this.statements.active.all(...ACTIVE).flatMap((row) => {
      try {
        return [toJob(RowSchema.parse(row))];
      } catch (error) {
        // One unreadable row (written by hand, or by a newer bot) must not keep every other job from running.
        this.options.onError?.(new Error(`skipped an unreadable job row: ${error instanceof Error ? error.message : String(error)}`), undefined);
        return [];
      }
    });
  }

  /** Creation times of a member's (or a guild's) jobs since `since`, oldest first: the basis of rate quotas. */
  recentByRequester(userId: string, since: number): number[] {
    return TimesSchema.parse(this.statements.byRequester.all(userId, since)).map((row) => row.created_at);
  }

  /** Creation times of jobs started in direct messages since `since`: together they count as one more server. */
  recentInDms(since: number): number[] {
    return TimesSchema.parse(this.statements.inDms.all(since)).map((row) => row.created_at);
  }

  recentByGuild(guildId: string, since: number): number[] {
    return TimesSchema.parse(this.statements.byGuild.all(guildId, since)).map((row) => row.created_at);
  }

  /** Forgets finished jobs older than `maxAgeMs` (quotas only look back an hour); a failure waits for the next round. */
  prune(maxAgeMs: number): number {
    try {
      return this.statements.prune.run(...ACTIVE, this.now() - maxAgeMs).changes;
    } catch (error) {
      this.noteFailure(error, undefined);
      return 0;
    }
  }

  /** Tries kept updates once more (best effort: what still fails is picked up from ComfyUI after the restart). */
  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    if (this.pending.size > 0) this.flush();
    this.db.close();
  }

  private migrate(): void {
    const version = this.schemaVersion;
    if (version > MIGRATIONS.length) throw new Error(`the job database is from a newer version of the bot (schema ${version}); upgrade the bot`);
    for (let next = version; next < MIGRATIONS.length; next++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[next] as string);
        this.db.pragma(`user_version = ${next + 1}`);
      })();
    }
  }

  private columns(job: Job): Columns {
    return {
      id: job.id, state: job.state, backend: job.backend ?? null, prompt_id: job.promptId ?? null, vals: job.values ? JSON.stringify(job.values) : null,
      message_id: job.messageId ?? null, resubmits: job.resubmits, submitted_at: job.submittedAt ?? null, started_at: job.startedAt ?? null,
      finished_at: job.finishedAt ?? null, updated_at: this.now(), delivery_target: job.deliveryTarget ?? null, delivery_message_id: job.deliveryMessageId ?? null,
      outputs: job.outputs ? JSON.stringify(job.outputs) : null, delivered: job.delivered ? JSON.stringify(job.delivered) : null,
      run_ms: job.runMs ?? null,
    };
  }
}

function toJob(row: Row): Job {
  const job: Job = {
    id: row.id, kind: row.kind, template: row.template, params: ParamsSchema.parse(JSON.parse(row.params)),
    requester: { id: row.requester_id, name: row.requester_name },
    origin: {
      guildId: row.guild_id, channelId: row.channel_id, interactionId: row.interaction_id, interactionToken: row.interaction_token,
      interactionAt: row.interaction_at, attachmentLimit: row.attachment_limit,
    },
    state: row.state, createdAt: row.created_at, resubmits: row.resubmits, recovered: true,
  };
  if (row.backend) job.backend = row.backend;
  if (row.prompt_id) job.promptId = row.prompt_id;
  if (row.vals) job.values = ParamsSchema.parse(JSON.parse(row.vals));
  if (row.message_id) job.messageId = row.message_id;
  if (row.submitted_at !== null) job.submittedAt = row.submitted_at;
  if (row.started_at !== null) job.startedAt = row.started_at;
  if (row.finished_at !== null) job.finishedAt = row.finished_at;
  if (row.delivery_target) job.deliveryTarget = row.delivery_target;
  if (row.delivery_message_id) job.deliveryMessageId = row.delivery_message_id;
  if (row.parent_job !== null) job.parent = { jobId: row.parent_job, image: row.parent_image ?? 0 };
  if (row.outputs !== null) job.outputs = OutputsSchema.parse(JSON.parse(row.outputs));
  if (row.locale !== null) job.locale = row.locale;
  if (row.guild_locale !== null) job.guildLocale = row.guild_locale;
  if (row.spoiler === 1) job.spoiler = true;
  if (row.run_ms !== null) job.runMs = row.run_ms;
  if (row.delivered !== null) job.delivered = z.array(z.number().int()).parse(JSON.parse(row.delivered));
  return job;
}
