import type { ChannelDefaults, ChannelDefaultsMap } from '../config-file.js';
import type { BotConfig } from '../config.js';
import type { Template } from '../comfy/templates.js';
import type { FileRead } from '../settings.js';

/**
 * Settings that built long-lived things (connections, the ledger, the HTTP port, the scheduler's limits, the log):
 * a reload reports their change and keeps the running value until a restart.
 */
export const RESTART_ONLY: ReadonlySet<keyof BotConfig> = new Set<keyof BotConfig>([
  'COMFYUI_URL', 'COMFYUI_TOKEN', 'COMFYUI_QUERY_TOKEN', 'COMFYUI_HEADERS', 'COMFYUI_TIMEOUT_MS', 'COMFYUI_POLL_MS', 'COMFYUI_RETRY_MS',
  'COMFYUI_MOVE_AFTER_MS', 'COMFYUI_MAX_IN_FLIGHT', 'SUBMITS_PER_MINUTE', 'MAX_WAITING_PER_USER', 'DISCORD_TOKEN', 'DISCORD_APP_ID',
  'DISCORD_GUILD_ID', 'DISCORD_API_URL', 'HTTP_PORT', 'HTTP_HOST', 'DATA_DIR', 'JOBS_DB', 'PREVIEWS', 'PREVIEW_METHOD', 'LOG_LEVEL',
  'PROGRESS_EDIT_MS', 'SHUTDOWN_GRACE_MS', 'TEMPLATES_DIR',
]);

/** What a read of config.yaml, the environment and the templates gave. */
export type Reading =
  | { ok: true; config: BotConfig; channels: ChannelDefaultsMap; templates: Map<string, Template>; overridden?: string[]; file?: FileRead | undefined }
  | { ok: false; problems: string[] };

/** `overridden`: keys config.yaml sets that the environment overrides (an edit to them in the file changes nothing). */
export type ReloadOutcome =
  | { ok: true; changed: string[]; restartNeeded: string[]; overridden: string[] }
  | { ok: false; problems: string[] };

/** A channel default naming a template that does not exist would only fail later, on a member's job: refuse it now. */
export function channelProblems(channels: ChannelDefaultsMap, templates: ReadonlyMap<string, Template>): string[] {
  return Object.entries(channels).flatMap(([id, defaults]) => (defaults.template && !templates.has(defaults.template)
    ? [`channels.${id}.template is ${defaults.template}, which is not a template (there are: ${[...templates.keys()].sort().join(', ')})`]
    : []));
}

function copySetting<K extends keyof BotConfig>(target: BotConfig, source: BotConfig, key: K): void {
  target[key] = source[key];
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * The bot's settings, channel defaults and templates, changed in place by a reload so everything that reads them
 * (the job service, access rules, /bot settings) sees the new values on its next use. A reading that fails leaves
 * everything as it was. Reloads run one at a time.
 */
export class LiveConfig {
  private last: Promise<ReloadOutcome> = Promise.resolve({ ok: true, changed: [], restartNeeded: [], overridden: [] });

  constructor(
    readonly config: BotConfig,
    readonly channels: Record<string, ChannelDefaults>,
    readonly templates: Map<string, Template>,
    /** Reads everything again; `keep` is the config file the running settings came from, which it may not drop. */
    private readonly read: (keep: FileRead | undefined) => Promise<Reading>,
    private readonly applied: (outcome: Extract<ReloadOutcome, { ok: true }>) => void = () => {},
    /** Whether unfinished jobs use a template: one removed from the files stays in `retired` until they are done. */
    private readonly inUse: (template: string) => boolean = () => false,
    /** Templates removed from the files that accepted jobs still need (the runner looks there); never offered for new jobs. */
    readonly retired: Map<string, Template> = new Map(),
    /** The config file the running settings came from (none: environment only). */
    private current: FileRead | undefined = undefined,
  ) {}

  get file(): FileRead | undefined {
    return this.current;
  }

  reload(): Promise<ReloadOutcome> {
    this.last = this.last.then(() => this.reloadNow(), () => this.reloadNow());
    return this.last;
  }

  private async reloadNow(): Promise<ReloadOutcome> {
    let reading: Reading;
    try {
      reading = await this.read(this.current);
    } catch (error) {
      return { ok: false, problems: [(error as Error).message] };
    }
    if (!reading.ok) return reading;
    const problems = channelProblems(reading.channels, reading.templates);
    if (problems.length > 0) return { ok: false, problems };
    const changed: string[] = [];
    const restartNeeded: string[] = [];
    // Both sides' keys: a setting removed from the file is absent from the new config, and must go back to unset.
    const keys = new Set([...Object.keys(this.config), ...Object.keys(reading.config)] as Array<keyof BotConfig>);
    for (const key of keys) {
      if (same(this.config[key], reading.config[key])) continue;
      if (RESTART_ONLY.has(key)) restartNeeded.push(key);
      else {
        copySetting(this.config, reading.config, key);
        changed.push(key);
      }
    }
    if (!same(this.channels, reading.channels)) {
      for (const id of Object.keys(this.channels)) delete this.channels[id];
      Object.assign(this.channels, reading.channels);
      changed.push('channels');
    }
    const templatesBefore = JSON.stringify([...this.templates.values()].map(({ source: _, ...template }) => template));
    const templatesAfter = JSON.stringify([...reading.templates.values()].map(({ source: _, ...template }) => template));
    if (templatesBefore !== templatesAfter) {
      for (const template of this.templates.values()) if (!reading.templates.has(template.name)) this.retired.set(template.name, template);
      this.templates.clear();
      for (const [name, template] of reading.templates) this.templates.set(name, template);
      changed.push('templates');
    }
    for (const name of this.retired.keys()) if (this.templates.has(name) || !this.inUse(name)) this.retired.delete(name);
    this.current = reading.file;
    const outcome = { ok: true as const, changed, restartNeeded, overridden: reading.overridden ?? [] };
    this.applied(outcome);
    return outcome;
  }
}
