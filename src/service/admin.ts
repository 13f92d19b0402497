import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import type { TemplateFile } from '../comfy/template-schema.js';
import { loadTemplate, type Template } from '../comfy/templates.js';
import { detectTemplate } from '../templates-import/detect.js';
import { readWorkflowFile } from '../templates-import/read.js';
import type { ComfyPool } from '../comfy/pool.js';
import type { BotConfig } from '../config.js';
import { UserError } from '../discord/user-error.js';
import type { Scheduler } from '../jobs/scheduler.js';
import type { PromptResult } from '../comfy/watcher.js';
import type { Caller } from '../policy/admin.js';
import type { ReloadOutcome } from './reload.js';
import type { ChannelDefaultsMap } from '../config-file.js';

/** Settings that are secrets (or carry them): shown only as set or not. */
const SECRET_KEYS = new Set(['DISCORD_TOKEN', 'COMFYUI_TOKEN', 'COMFYUI_QUERY_TOKEN', 'COMFYUI_HEADERS']);

/** A template an admin is importing, waiting for their Save. */
interface Pending {
  template: TemplateFile;
  by: string;
  at: number;
}

/** How long an import waits for its Save button. */
const PENDING_MS = 15 * 60_000;

export interface AdminDeps {
  config: BotConfig;
  /** The bot's templates: a saved import joins them at once. */
  templates: Map<string, Template>;
  pool: Pick<ComfyPool, 'fitness' | 'describeMissing' | 'health'>;
  scheduler: Pick<Scheduler<PromptResult>, 'hold' | 'isHeld'>;
  /** Removes configured secrets from text. */
  redact: (text: string) => string;
  /** Reads config.yaml, the environment and the templates again; the old ones stay if the new ones are wrong. */
  reload: () => Promise<ReloadOutcome>;
  /** Per-channel defaults in effect, and the file they came from (shown by /bot settings). */
  channels?: () => ChannelDefaultsMap;
  configFile?: () => string | undefined;
}

/** A template name from a file name: lowercase letters, digits, - and _, at most 32. */
export function templateNameFrom(file: string): string {
  const name = basename(file, extname(file)).toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^[-_]+/, '').slice(0, 32);
  return name || 'imported';
}

/** What /bot does for admins (Manage Server or the admin role): settings, pause and resume, templates. */
export class AdminService {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly deps: AdminDeps) {}

  /**
   * /bot template-add: what the bot found in a workflow file, checked against the servers; kept for the admin's
   * Save (by the returned id) for 15 minutes. Nothing is written yet.
   */
  prepareImport(caller: Caller, file: { name: string; bytes: Buffer }, name: string | undefined): { id: string; name: string; command: string; found: string[]; missing: string[] } {
    this.mustAdminister(caller);
    if (!this.deps.config.TEMPLATES_DIR) throw new UserError('bot.noTemplatesDir');
    let detected: ReturnType<typeof detectTemplate>;
    let template: Template;
    const chosen = name ?? templateNameFrom(file.name);
    try {
      detected = detectTemplate(readWorkflowFile(file.name, file.bytes), chosen);
      template = loadTemplate(detected.template, `${chosen}.json`);
    } catch (error) {
      throw new UserError('bot.importFailed', { reason: this.deps.redact((error as Error).message) });
    }
    const id = randomUUID().slice(0, 8);
    const now = Date.now();
    for (const [key, entry] of this.pending) if (now - entry.at > PENDING_MS) this.pending.delete(key);
    this.pending.set(id, { template: detected.template, by: caller.userId, at: now });
    const runs = this.deps.pool.fitness(template) !== 'unfit';
    return { id, name: template.name, command: template.command, found: detected.found, missing: runs ? [] : this.deps.pool.describeMissing(template) };
  }

  /** Saves a prepared import into TEMPLATES_DIR and loads it; only the admin who prepared it may. */
  async saveImport(caller: Caller, id: string): Promise<string> {
    this.mustAdminister(caller);
    const entry = this.pending.get(id);
    if (!entry || entry.by !== caller.userId || Date.now() - entry.at > PENDING_MS) throw new UserError('bot.importGone');
    const dir = this.deps.config.TEMPLATES_DIR;
    if (!dir) throw new UserError('bot.noTemplatesDir');
    const path = join(dir, `${entry.template.name}.json`);
    const template = loadTemplate(entry.template, path);
    await mkdir(dir, { recursive: true });
    await writeFile(path, `${JSON.stringify(entry.template, null, 2)}\n`);
    this.pending.delete(id);
    this.deps.templates.set(template.name, template);
    return template.name;
  }

  /** The effective settings, secrets hidden and servers by label (their addresses may carry credentials). */
  settings(caller: Caller): Array<[string, string]> {
    this.mustAdminister(caller);
    const { config, pool, redact } = this.deps;
    const entries = Object.entries(config).map(([key, value]): [string, string] => {
      if (SECRET_KEYS.has(key)) return [key, value === undefined || (typeof value === 'object' && Object.keys(value).length === 0) ? '(not set)' : '(set, hidden)'];
      if (key === 'COMFYUI_URL') return [key, pool.health().map((server) => server.label).join(', ')];
      return [key, redact(Array.isArray(value) ? value.join(', ') : value === undefined ? '(not set)' : String(value))];
    });
    const channels = Object.entries(this.deps.channels?.() ?? {}).map(([id, defaults]) => `${id} (${Object.entries(defaults).map(([key, value]) => `${key}=${String(value)}`).join(', ')})`);
    return [['CONFIG_FILE', this.deps.configFile?.() ?? '(none)'], ['channels', redact(channels.join('; ') || '(none)')], ...entries];
  }

  /** /bot reload: what changed, what needs a restart, or why the new settings were refused. */
  async reload(caller: Caller): Promise<ReloadOutcome> {
    this.mustAdminister(caller);
    const outcome = await this.deps.reload();
    return outcome.ok ? outcome : { ok: false, problems: outcome.problems.map(this.deps.redact) };
  }

  /** Stops sending jobs to ComfyUI (they are still accepted, in order); returns whether it was already paused. */
  pause(caller: Caller): boolean {
    this.mustAdminister(caller);
    const was = this.deps.scheduler.isHeld;
    this.deps.scheduler.hold(true);
    return was;
  }

  resume(caller: Caller): boolean {
    this.mustAdminister(caller);
    const was = this.deps.scheduler.isHeld;
    this.deps.scheduler.hold(false);
    return was;
  }

  /** Every template: its command and whether some server can run it (and if not, what is missing). */
  templates(caller: Caller): Array<{ name: string; command: string; runs: boolean; missing: string[] }> {
    this.mustAdminister(caller);
    const { templates, pool } = this.deps;
    return [...templates.values()].sort((a, b) => a.name.localeCompare(b.name)).map((template) => {
      const runs = pool.fitness(template) !== 'unfit';
      return { name: template.name, command: template.command, runs, missing: runs ? [] : pool.describeMissing(template) };
    });
  }

  mustAdminister(caller: Caller): void {
    if (!caller.isAdmin) throw new UserError('bot.adminOnly');
  }
}
