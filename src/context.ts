import type { ComfyPool } from './comfy/pool.js';
import type { Template } from './comfy/templates.js';
import type { PromptResult } from './comfy/watcher.js';
import type { ComfyRunner } from './comfy/runner.js';
import type { BotConfig } from './config.js';
import type { Delivery } from './discord/delivery.js';
import type { Catalog } from './discord/messages.js';
import type { Scheduler } from './jobs/scheduler.js';
import type { JobStore } from './jobs/store.js';
import type { JobKind } from './jobs/job.js';
import type { JobService } from './service/jobs.js';
import type { Logger } from './log.js';

/** Long-lived things, built once in index.ts and passed to every handler (no module singletons). */
export interface BotContext {
  config: BotConfig;
  catalog: Catalog;
  logger: Logger;
  templates: ReadonlyMap<string, Template>;
  pool: ComfyPool;
  runner: ComfyRunner;
  scheduler: Scheduler<PromptResult>;
  store: Pick<JobStore, 'recentByRequester' | 'recentByGuild' | 'recentInDms'>;
  delivery: Delivery;
  now: () => number;
  /** Creates, cancels and lists jobs: what commands and buttons call. */
  jobs: JobService;
  /** The template each command uses when none is named (see comfy/defaults.ts); updated as servers change. */
  defaults: Record<JobKind, string>;
  /** Set on SIGTERM/SIGINT: new jobs are refused while deliveries finish. */
  shuttingDown: boolean;
  /** Removes configured secrets from text headed for Discord. */
  redact: (text: string) => string;
}
