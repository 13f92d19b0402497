import type { Template } from '../comfy/templates.js';
import type { ComfyPool } from '../comfy/pool.js';
import type { BotConfig } from '../config.js';
import { UserError } from '../discord/user-error.js';
import type { Scheduler } from '../jobs/scheduler.js';
import type { PromptResult } from '../comfy/watcher.js';
import type { Caller } from '../policy/admin.js';

/** Settings that are secrets (or carry them): shown only as set or not. */
const SECRET_KEYS = new Set(['DISCORD_TOKEN', 'COMFYUI_TOKEN', 'COMFYUI_QUERY_TOKEN', 'COMFYUI_HEADERS']);

export interface AdminDeps {
  config: BotConfig;
  templates: ReadonlyMap<string, Template>;
  pool: Pick<ComfyPool, 'fitness' | 'describeMissing' | 'health'>;
  scheduler: Pick<Scheduler<PromptResult>, 'hold' | 'isHeld'>;
  /** Removes configured secrets from text. */
  redact: (text: string) => string;
}

/** What /bot does for admins (Manage Server or the admin role): settings, pause and resume, templates. */
export class AdminService {
  constructor(private readonly deps: AdminDeps) {}

  /** The effective settings, secrets hidden and servers by label (their addresses may carry credentials). */
  settings(caller: Caller): Array<[string, string]> {
    this.mustAdminister(caller);
    const { config, pool, redact } = this.deps;
    return Object.entries(config).map(([key, value]): [string, string] => {
      if (SECRET_KEYS.has(key)) return [key, value === undefined || (typeof value === 'object' && Object.keys(value).length === 0) ? '(not set)' : '(set, hidden)'];
      if (key === 'COMFYUI_URL') return [key, pool.health().map((server) => server.label).join(', ')];
      return [key, redact(Array.isArray(value) ? value.join(', ') : value === undefined ? '(not set)' : String(value))];
    });
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

  private mustAdminister(caller: Caller): void {
    if (!caller.isAdmin) throw new UserError('bot.adminOnly');
  }
}
