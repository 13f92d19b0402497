import { Client, GatewayIntentBits } from 'discord.js';
import { connectComfy, serverFromSettings } from './comfy/connection.js';
import { ServerCatalog } from './comfy/server-catalog.js';
import { checkTemplateAgainstServer, formatProblems } from './comfy/template-check.js';
import { loadTemplates, type Template } from './comfy/templates.js';
import type { PromptResult } from './comfy/watcher.js';
import { ComfyRunner } from './comfy-runner.js';
import { BotConfigSchema, loadConfigOrExit, secretsOf } from './config.js';
import type { BotContext } from './context.js';
import { Delivery } from './discord/delivery.js';
import { wireJobEvents } from './discord/job-events.js';
import { en } from './discord/messages.js';
import { loadEnvFile } from './env.js';
import { bindEvents } from './events/index.js';
import { join } from 'node:path';
import { Scheduler } from './jobs/scheduler.js';
import { JobStore } from './jobs/store.js';
import { createLogger, scrub, type Logger } from './log.js';
import { templateDirs } from './templates-registry.js';

function fatal(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

/** Logs templates that do not fit the server; defaults then avoid them (img2vid → img2vid-core without VHS). */
async function checkTemplates(ctx: Pick<BotContext, 'serverCatalog' | 'templates' | 'logger' | 'unfitTemplates'>): Promise<void> {
  try {
    const info = await ctx.serverCatalog.objectInfo();
    for (const template of ctx.templates.values()) {
      const problems = checkTemplateAgainstServer(template, info);
      if (problems.length === 0) continue;
      ctx.unfitTemplates.add(template.name);
      ctx.logger.warn(formatProblems(template, problems));
    }
  } catch (error) {
    ctx.logger.warn({ err: error }, 'ComfyUI is not reachable yet; jobs will wait for it');
  }
}

/** Composition root: config → ComfyUI → scheduler → Discord. Nothing else builds long-lived objects. */
async function main(): Promise<void> {
  loadEnvFile(true);
  const config = loadConfigOrExit(BotConfigSchema);
  const secrets = secretsOf(config);
  const logger: Logger = createLogger({ level: config.LOG_LEVEL, secrets });
  const redact = (text: string): string => scrub(text, secrets);
  let templates: Map<string, Template>;
  try {
    templates = await loadTemplates(templateDirs(config.TEMPLATES_DIR));
  } catch (error) {
    fatal((error as Error).message);
  }
  const comfy = connectComfy(serverFromSettings(config.COMFYUI_URL[0] as string, config), {
    clientId: `discord-bot-${config.DISCORD_APP_ID}`, timeoutMs: config.COMFYUI_TIMEOUT_MS,
    pollIntervalMs: config.COMFYUI_POLL_MS, fallbackPollIntervalMs: Math.min(1_000, config.COMFYUI_POLL_MS),
  });
  const serverCatalog = new ServerCatalog(comfy.client);
  let store: JobStore;
  try {
    store = new JobStore(config.JOBS_DB ?? join(config.DATA_DIR, 'jobs.sqlite'));
  } catch (error) {
    fatal(`Could not open the job database: ${(error as Error).message}`);
  }
  const runner = new ComfyRunner(comfy, templates, serverCatalog, store);
  const scheduler = new Scheduler<PromptResult>(runner, {
    ledger: store, maxSubmitFailures: 5, retryBaseMs: config.COMFYUI_RETRY_MS, retryMaxMs: Math.max(30_000, config.COMFYUI_RETRY_MS),
    maxInFlight: config.COMFYUI_MAX_IN_FLIGHT, submitsPerMinute: config.SUBMITS_PER_MINUTE, maxWaitingPerUser: config.MAX_WAITING_PER_USER,
  });
  const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: config.DISCORD_API_URL } });
  const delivery = new Delivery({ rest: client.rest, appId: config.DISCORD_APP_ID, catalog: en, comfy: comfy.client, logger, progressEditMs: config.PROGRESS_EDIT_MS, redact });
  const ctx: BotContext = { config, catalog: en, logger, templates, comfy, serverCatalog, runner, scheduler, store, delivery, now: Date.now, unfitTemplates: new Set(), shuttingDown: false, redact };
  bindEvents(client, ctx);
  wireJobEvents(ctx);
  void checkTemplates(ctx);

  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));
  // Stop taking jobs, let deliveries in flight finish (bounded), close the ledger cleanly. Jobs inside ComfyUI
  // keep running there and are picked up from its history on the next start.
  const shutdown = (signal: string): void => {
    logger.info({ signal }, 'shutting down');
    ctx.shuttingDown = true;
    scheduler.stop();
    void delivery.drain(config.SHUTDOWN_GRACE_MS)
      .then(() => Promise.allSettled([client.destroy(), comfy.close()]))
      .then(() => {
        store.close();
        process.exit(0);
      });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));

  try {
    await client.login(config.DISCORD_TOKEN);
  } catch (error) {
    const code = (error as { code?: string }).code;
    await comfy.close();
    store.close();
    fatal(code === 'TokenInvalid'
      ? 'Discord refused DISCORD_TOKEN. Copy a fresh one from the Developer Portal → your app → Bot → Reset Token.'
      : `Could not log in to Discord: ${(error as Error).message}`);
  }
  const unfinished = store.active();
  if (unfinished.length > 0) logger.info({ jobs: unfinished.length }, 'picking up jobs from before the restart');
  scheduler.restore(unfinished);
  store.prune(7 * 24 * 3_600_000);
}

await main();
