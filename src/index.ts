import { Client, GatewayIntentBits, Options } from 'discord.js';
import { serverFromSettings } from './comfy/connection.js';
import { ComfyPool } from './comfy/pool.js';
import { chooseDefault } from './comfy/defaults.js';
import { loadTemplates, type Template } from './comfy/templates.js';
import type { PromptResult } from './comfy/watcher.js';
import { ComfyRunner } from './comfy/runner.js';
import { BotConfigSchema, configuredDefaults, secretsOf } from './config.js';
import { configFilePath, loadSettingsOrExit, readSettings, type FileRead } from './settings.js';
import { channelProblems, LiveConfig, type Reading } from './service/reload.js';
import { watchFiles } from './ops/watch-files.js';
import { Delivery } from './discord/delivery.js';
import { JobService } from './service/jobs.js';
import { AdminService } from './service/admin.js';
import type { Runnable } from './service/derive.js';
import { DiscordUploader } from './discord/uploader.js';
import { messagesFor } from './discord/messages.js';
import { queuedText } from './discord/job-status.js';
import { etaOf, wireJobEvents } from './discord/job-events.js';
import { Estimator } from './jobs/estimates.js';
import type { BotMetrics } from './ops/metrics.js';
import { serveOps } from './ops/http.js';
import { fetchAttachment, fetchInputImage } from './discord/input-image.js';
import { loadEnvFile } from './env.js';
import { bindEvents } from './events/index.js';
import { join } from 'node:path';
import { FINAL_STATES, JOB_KINDS, type Job, type JobKind, type JobState } from './jobs/job.js';
import { Scheduler } from './jobs/scheduler.js';
import { acquireInstanceLock, InstanceLockedError, type InstanceLock } from './jobs/instance-lock.js';
import { JobStore } from './jobs/store.js';
import { createLogger, scrub, type Logger } from './log.js';
import { templateDirs } from './templates-registry.js';

/** Feeds the metrics from the scheduler's and the pool's events. */
function watchForMetrics(scheduler: Scheduler<PromptResult>, pool: ComfyPool, metrics: BotMetrics): void {
  scheduler.on('started', (job) => metrics.started(job));
  const ended = (job: Job, outcome: 'done' | 'failed' | 'cancelled'): void => metrics.finished(job, outcome, Date.now());
  scheduler.on('settled', (job, outcome) => ended(job, outcome));
  scheduler.on('failed', (job, error) => {
    metrics.comfyError(error.name);
    ended(job, 'failed');
  });
  scheduler.on('cancelled', (job) => ended(job, 'cancelled'));
  pool.on('down', () => metrics.comfyError('unreachable'));
}

/** Finished jobs stay in the ledger this long: quotas look back an hour, a result's buttons as long as this. */
const KEEP_FINISHED_DAYS = 30;
/** How long shutdown may run past SHUTDOWN_GRACE_MS (closing connections, the ledger) before the process just exits. */
const SHUTDOWN_SLACK_MS = 3_000;

function fatal(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

interface DefaultsDeps {
  pool: ComfyPool;
  templates: ReadonlyMap<string, Template>;
  logger: Logger;
  /** Updated in place: the job service reads it on every command. */
  defaults: Record<JobKind, string>;
  /** Replaced by a reload. */
  configured: Readonly<Record<JobKind, string>>;
}

/** Chooses each kind's default template from what the servers can run, and says so in the log. */
async function chooseDefaults(ctx: DefaultsDeps, refresh: boolean): Promise<void> {
  if (refresh) await ctx.pool.refreshCatalogs();
  if (!ctx.pool.anyCatalogKnown) {
    ctx.logger.warn('ComfyUI is not reachable yet; jobs will wait for it');
    return;
  }
  // Logged once at start; later re-reads (a server back, the periodic refresh) only log a default that changes.
  if (refresh) {
    for (const template of ctx.templates.values()) {
      if (ctx.pool.fitness(template) === 'unfit') ctx.logger.warn({ template: template.name, missing: ctx.pool.describeMissing(template) }, `template ${template.name} cannot run on any server`);
    }
  }
  for (const kind of JOB_KINDS) {
    const choice = chooseDefault(kind, ctx.configured[kind], ctx.templates, (template) => ctx.pool.fitness(template), (template) => ctx.pool.describeMissing(template));
    if (choice.name !== ctx.defaults[kind] || refresh) ctx.logger[choice.reason ? 'warn' : 'info']({ command: kind, template: choice.name, ...(choice.reason ? { reason: choice.reason } : {}) }, `default /${kind} template: ${choice.name}`);
    ctx.defaults[kind] = choice.name;
  }
}

/** Composition root: config → ComfyUI → scheduler → Discord. Nothing else builds long-lived objects. */
async function main(): Promise<void> {
  loadEnvFile(true);
  const settings = loadSettingsOrExit(BotConfigSchema);
  const { config } = settings;
  const secrets = secretsOf(config);
  const logger: Logger = createLogger({ level: config.LOG_LEVEL, secrets });
  const redact = (text: string): string => scrub(text, secrets);
  if (settings.overridden.length > 0) logger.info({ settings: settings.overridden }, `the environment overrides these settings of ${settings.file?.path ?? 'config.yaml'}`);
  let templates: Map<string, Template>;
  try {
    templates = await loadTemplates(templateDirs(config.TEMPLATES_DIR));
  } catch (error) {
    fatal((error as Error).message);
  }
  const channels = { ...settings.channels };
  const wrongChannels = channelProblems(channels, templates);
  if (wrongChannels.length > 0) fatal(`Configuration problems in ${settings.file?.path ?? 'config.yaml'}:\n${wrongChannels.map((problem) => `  - ${problem}`).join('\n')}`);
  const pool = new ComfyPool(config.COMFYUI_URL.map((url) => serverFromSettings(url, config)), {
    clientId: `discord-bot-${config.DISCORD_APP_ID}`, timeoutMs: config.COMFYUI_TIMEOUT_MS, maxInFlightPerServer: config.COMFYUI_MAX_IN_FLIGHT,
    pollIntervalMs: config.COMFYUI_POLL_MS, fallbackPollIntervalMs: Math.min(1_000, config.COMFYUI_POLL_MS), healthBaseMs: config.COMFYUI_RETRY_MS,
    previews: config.PREVIEWS,
  });
  let lock: InstanceLock;
  try {
    const dataLock = acquireInstanceLock(config.DATA_DIR);
    // A ledger kept outside DATA_DIR (JOBS_DB) gets a lock of its own: two bots must never share the jobs.
    const ledgerLock = config.JOBS_DB ? acquireInstanceLock(config.JOBS_DB, `${config.JOBS_DB}.lock`, 'JOBS_DB') : undefined;
    lock = { release: () => { ledgerLock?.release(); dataLock.release(); } };
  } catch (error) {
    fatal(error instanceof InstanceLockedError ? error.message : `Could not lock DATA_DIR=${config.DATA_DIR}: ${(error as Error).message}. Check that the folder is writable.`);
  }
  let store: JobStore;
  try {
    store = new JobStore(config.JOBS_DB ?? join(config.DATA_DIR, 'jobs.sqlite'), Date.now, {
      onError: (error, jobId) => logger.error({ err: error, job: jobId }, 'the job database is not writable (check free space, and that nothing else holds jobs.sqlite open): new jobs are refused, job changes are kept and retried'),
    });
  } catch (error) {
    fatal(`Could not open the job database: ${(error as Error).message}`);
  }
  // Templates a reload removed while jobs still used them: the runner finds them here, new jobs never do.
  const retired = new Map<string, Template>();
  const runner = new ComfyRunner(pool, { get: (name) => templates.get(name) ?? retired.get(name) }, store, {
    moveAfterMs: config.COMFYUI_MOVE_AFTER_MS,
    ...(config.PREVIEWS ? {
      previewMethod: config.PREVIEW_METHOD,
      onPreview: (jobId: string, image: Buffer, format: 'jpeg' | 'png') => {
        const job = scheduler.get(jobId);
        if (job) delivery.preview(job, image, format);
      },
    } : {}),
  });
  const scheduler = new Scheduler<PromptResult>(runner, {
    ledger: store, maxSubmitFailures: 5, retryBaseMs: config.COMFYUI_RETRY_MS, retryMaxMs: Math.max(30_000, config.COMFYUI_RETRY_MS),
    submitsPerMinute: config.SUBMITS_PER_MINUTE, maxWaitingPerUser: config.MAX_WAITING_PER_USER,
  });
  const client = new Client({
    intents: [GatewayIntentBits.Guilds],
    rest: { api: config.DISCORD_API_URL },
    // The bot needs no member, user or message history: keep discord.js's caches small over months of traffic.
    makeCache: Options.cacheWithLimits({ ...Options.DefaultMakeCacheSettings, UserManager: 200, GuildMemberManager: 200, MessageManager: 0, ReactionManager: 0, PresenceManager: 0 }),
  });
  // Run times measured before the restart are the first estimates.
  const estimates = new Estimator(store.recentRuns(2_000), Date.now);
  // Set on SIGTERM/SIGINT: new jobs are refused while deliveries finish.
  let shuttingDown = false;
  // Metrics are kept only when they can be read (HTTP_PORT set): prom-client is not even loaded otherwise.
  const metrics = config.HTTP_PORT === undefined ? undefined : new (await import('./ops/metrics.js')).BotMetrics({
    byState: () => {
      const counts: Partial<Record<JobState, number>> = {};
      for (const job of scheduler.jobsWhere(() => true)) counts[job.state] = (counts[job.state] ?? 0) + 1;
      return counts;
    },
    waiting: () => scheduler.snapshot().waiting.length,
  }, (name) => pool.labelOf(name));
  if (metrics) watchForMetrics(scheduler, pool, metrics);
  const uploader = new DiscordUploader({ apiBase: config.DISCORD_API_URL, botToken: config.DISCORD_TOKEN, ...(metrics ? { onRateLimited: (route: string) => metrics.rateLimited(route) } : {}) });
  const delivery = new Delivery({ discord: uploader, appId: config.DISCORD_APP_ID, outputs: runner, logger, progressEditMs: config.PROGRESS_EDIT_MS, redact, ledger: store,
    labelOf: (backend) => pool.labelOf(backend),
    runnable: (): Runnable => jobs.runnable() });
  const defaults: Record<JobKind, string> = configuredDefaults(config);
  const jobs = new JobService({
    settings: config, templates, pool, scheduler, store, defaults, now: Date.now, keepDays: KEEP_FINISHED_DAYS, startedAt: Date.now(),
    repost: (job, reply): Promise<void> => delivery.show(job, reply), shuttingDown: () => shuttingDown, channelDefaults: () => channels,
    announce: (job, position, comfyDown) => delivery.progress(job, scheduler.isHeld
      ? messagesFor(job.locale).say('queue.paused', { id: job.id, position })
      : queuedText(messagesFor(job.locale), job.id, position, comfyDown, etaOf({ scheduler, estimates, pool }, job))),
  });
  // config.yaml, the environment and the templates, read again: what /bot reload and a change to the files do.
  const reread = async (keep: FileRead | undefined): Promise<Reading> => {
    const read = readSettings(BotConfigSchema, process.env, { keep });
    if (!read.ok) return read;
    try {
      return { ...read, templates: await loadTemplates(templateDirs(config.TEMPLATES_DIR)) };
    } catch (error) {
      return { ok: false, problems: [(error as Error).message] };
    }
  };
  const live = new LiveConfig(config, channels, templates, reread, (outcome) => {
    if (outcome.changed.length > 0) logger.info({ changed: outcome.changed }, 'settings reloaded');
    if (outcome.restartNeeded.length > 0) logger.warn({ settings: outcome.restartNeeded }, 'these settings changed but take effect only after a restart');
    defaultsDeps.configured = configuredDefaults(config);
    void chooseDefaults(defaultsDeps, false);
  }, (template) => scheduler.jobsWhere((job) => job.template === template && !FINAL_STATES.has(job.state)).length > 0, retired, settings.file);
  const reload = async () => {
    const outcome = await live.reload();
    if (!outcome.ok) logger.error({ problems: outcome.problems }, 'the new settings were refused; the old ones are kept');
    return outcome;
  };
  const stopWatching = watchFiles([
    { path: configFilePath(), kind: 'file' },
    ...(config.TEMPLATES_DIR ? [{ path: config.TEMPLATES_DIR, kind: 'folder' as const }] : []),
  ], () => void reload());
  const admin = new AdminService({ config, templates, pool, scheduler, redact, reload, channels: () => channels, configFile: () => live.file?.path });
  bindEvents(client, {
    jobs, admin, messages: messagesFor('en'), logger, redact, now: Date.now,
    // Read on every use, so a reload of config.yaml applies at once.
    get adminRoleId() { return config.ADMIN_ROLE_ID; },
    fetchFile: (attachment) => fetchAttachment(attachment, { maxBytes: config.MAX_INPUT_IMAGE_BYTES, allowedHosts: config.DISCORD_ATTACHMENT_HOSTS }),
    fetchImage: (attachment) => fetchInputImage(attachment, { maxBytes: config.MAX_INPUT_IMAGE_BYTES, maxSide: config.MAX_INPUT_IMAGE_SIDE, allowedHosts: config.DISCORD_ATTACHMENT_HOSTS }),
    access: {
      get dms() { return config.ALLOW_DMS; },
      get guilds() { return config.ALLOWED_GUILD_IDS; },
      get channels() { return config.ALLOWED_CHANNEL_IDS; },
      get roles() { return config.ALLOWED_ROLE_IDS; },
      // Pictures from pictures are pictures: /img2img and the result buttons follow the /imagine roles (Animate follows /img2vid's).
      get commandRoles() {
        return { imagine: config.IMAGINE_ROLE_IDS, img2img: config.IMAGINE_ROLE_IDS, upscale: config.IMAGINE_ROLE_IDS, inpaint: config.IMAGINE_ROLE_IDS, img2vid: config.IMG2VID_ROLE_IDS };
      },
    },
    registration: { appId: config.DISCORD_APP_ID, guildId: config.DISCORD_GUILD_ID, dataDir: config.DATA_DIR },
  });
  wireJobEvents({ scheduler, delivery, pool, logger, estimates });
  const defaultsDeps: DefaultsDeps = { pool, templates, logger, defaults, configured: configuredDefaults(config) };
  void chooseDefaults(defaultsDeps, true);
  pool.on('skipped', (backend, names) => logger.warn({ server: backend.name, nodes: names }, 'ComfyUI described some node types in a shape the bot cannot read; they are left out (templates using them will not fit)'));
  pool.on('down', (backend, error) => logger.warn({ server: backend.name, err: error }, 'ComfyUI server is down; its new jobs go elsewhere'));
  pool.on('catalogs', () => void chooseDefaults(defaultsDeps, false));
  pool.on('up', (backend) => {
    logger.info({ server: backend.name }, 'ComfyUI server is answering');
    scheduler.poke();
    void chooseDefaults(defaultsDeps, false);
  });

  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));
  // Exit rather than run on in an unknown state: a supervisor restarts the bot, and the ledger makes a restart lose nothing.
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception; exiting');
    logger.flush(() => process.exit(1));
  });
  // Stop taking jobs, let deliveries in flight finish (bounded), close the ledger cleanly. Jobs inside ComfyUI
  // keep running there and are picked up from its history on the next start.
  // Every step is guarded, and the whole is bounded, so one that throws or hangs (an upload Discord never answers
  // keeps the uploader's connection open) cannot keep the process alive.
  const guarded = async (step: string, close: () => unknown): Promise<void> => {
    try {
      await close();
    } catch (error) {
      logger.warn({ err: error, step }, 'a shutdown step failed; going on');
    }
  };
  let exiting = false;
  const exit = async (code: number): Promise<void> => {
    if (exiting) return;
    exiting = true;
    await guarded('job ledger', () => store.close());
    await guarded('instance lock', () => lock.release());
    process.exit(code);
  };
  const shutdown = async (signal: string): Promise<void> => {
    logger.info({ signal }, 'shutting down');
    shuttingDown = true;
    setTimeout(() => {
      logger.warn({ graceMs: config.SHUTDOWN_GRACE_MS }, 'shutdown is taking too long; exiting anyway');
      void exit(1);
    }, config.SHUTDOWN_GRACE_MS + SHUTDOWN_SLACK_MS);
    await guarded('scheduler', () => scheduler.stop());
    await guarded('runner', () => runner.stop());
    await guarded('deliveries', () => delivery.drain(config.SHUTDOWN_GRACE_MS));
    await guarded('health and metrics', () => ops?.close());
    stopWatching();
    await Promise.all([guarded('discord', () => client.destroy()), guarded('comfyui', () => pool.close()), guarded('uploader', () => uploader.close())]);
    await exit(0);
  };
  let ops: Awaited<ReturnType<typeof serveOps>> | undefined;
  if (config.HTTP_PORT !== undefined && metrics) {
    try {
      ops = await serveOps({
        health: () => [
          { name: 'discord', ok: client.isReady(), ...(client.isReady() ? {} : { detail: 'not connected to the gateway' }) },
          ...pool.health().map((server) => ({ name: `comfyui ${server.label}`, ok: server.up, ...(server.up ? {} : { detail: 'not answering' }) })),
          { name: 'ledger', ok: store.writable, ...(store.writable ? {} : { detail: 'the job database is not writable' }) },
        ],
        metrics: () => metrics.text(),
      }, config.HTTP_PORT, config.HTTP_HOST);
      logger.info({ url: ops.url }, `health and metrics on ${ops.url}/healthz and ${ops.url}/metrics`);
    } catch (error) {
      fatal(`Could not serve health and metrics on ${config.HTTP_HOST}:${config.HTTP_PORT}: ${(error as Error).message}. Pick another HTTP_PORT, or leave it empty.`);
    }
  }
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  try {
    await client.login(config.DISCORD_TOKEN);
  } catch (error) {
    const code = (error as { code?: string }).code;
    await pool.close();
    store.close();
    fatal(code === 'TokenInvalid'
      ? 'Discord refused DISCORD_TOKEN. Copy a fresh one from the Developer Portal → your app → Bot → Reset Token.'
      : `Could not log in to Discord: ${(error as Error).message}`);
  }
  let unfinished: ReturnType<JobStore['active']>;
  try {
    unfinished = store.active();
  } catch (error) {
    fatal(`Could not read the job database: ${(error as Error).message}. Check the disk and DATA_DIR; nothing was changed.`);
  }
  if (unfinished.length > 0) logger.info({ jobs: unfinished.length }, 'picking up jobs from before the restart');
  scheduler.restore(unfinished);
  // Pruned hourly, so months of uptime stay small.
  const prune = (): number => store.prune(KEEP_FINISHED_DAYS * 24 * 3_600_000);
  prune();
  setInterval(prune, 3_600_000).unref();
}

await main();
