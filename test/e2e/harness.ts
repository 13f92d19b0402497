import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeDiscord, type RecordedRequest, type StoredMessage } from '../fakes/discord/fake-discord.js';
import { snowflake, type FakeUser } from '../fakes/discord/payloads.js';
import type { ComfySim, SimOptions } from '../fakes/comfy/sim.js';
import { startSim, waitFor } from '../helpers.js';
import { EMPTY_CONFIG, ROOT } from '../run-script.js';

export interface Harness {
  sim: ComfySim;
  /** Every simulated server, in COMFYUI_URL order (the first is `sim`). */
  sims: ComfySim[];
  discord: FakeDiscord;
  bot: BotProcess;
  /** Starts a new bot process with the same settings and data folder (after the old one was stopped or killed). */
  restartBot(): Promise<BotProcess>;
  stop(): Promise<void>;
}

/** The node flags of `npm start` (package.json), so tests run the bot exactly as users do. */
export function startFlags(): string[] {
  const start = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['start'] ?? '';
  return start.split(/\s+/).filter((word) => word.startsWith('--'));
}

/** The bot as users run it: `src/index.ts` in its own process, configured only through its environment. */
export class BotProcess {
  readonly logs: string[] = [];
  private child: ChildProcess | undefined;
  private exit: Promise<number | null> | undefined;

  /** The default entry is what `npm start` runs: the build of src/index.ts (made by the test global setup). */
  constructor(readonly env: Record<string, string>, private readonly entry = 'dist/src/index.js', private readonly flags?: string[]) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    const args = this.entry.endsWith('.ts') ? ['--import', 'tsx', this.entry] : [...(this.flags ?? startFlags()), this.entry];
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', DOTENV_CONFIG_PATH: '/nonexistent/.env', CONFIG_FILE: EMPTY_CONFIG, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => this.logs.push(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => this.logs.push(chunk.toString()));
    this.exit = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    this.child = child;
  }

  get output(): string {
    return this.logs.join('');
  }

  /** Waits until the bot has logged a line matching `pattern`. */
  waitForLog(pattern: RegExp, timeoutMs = 10_000): Promise<void> {
    return waitFor(() => pattern.test(this.output), `the bot to log ${pattern}`, timeoutMs).then(() => undefined);
  }

  /** Resolves with the exit code once the process ends. */
  exited(): Promise<number | null> {
    return this.exit ?? Promise.resolve(null);
  }

  /** Sends a signal to the process by its own pid. */
  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  /** Stops the process by its own pid: SIGTERM, then SIGKILL if it lingers. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await this.exited();
    clearTimeout(timer);
  }
}

export interface HarnessOptions {
  sim?: Partial<SimOptions>;
  /** Several ComfyUI servers (overrides `sim`). */
  sims?: Array<Partial<SimOptions>>;
  env?: Record<string, string>;
  /** Settings that depend on the fakes' ids (allowlists of the fake guild, channel…). */
  envFrom?: (discord: FakeDiscord, sim: ComfySim) => Record<string, string>;
  attachmentSizeLimit?: number;
  /** Roles the fake guild has (members may carry them). */
  guildRoles?: string[];
  /** The fake guild's language. */
  guildLocale?: string;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const sims = await Promise.all((options.sims ?? [options.sim ?? {}]).map((simOptions) => startSim({ runMs: 60, ...simOptions })));
  const sim = sims[0] as ComfySim;
  const discord = await new FakeDiscord({
    heartbeatIntervalMs: 1_000, ...(options.attachmentSizeLimit ? { attachmentSizeLimit: options.attachmentSizeLimit } : {}), ...(options.guildRoles ? { roles: options.guildRoles } : {}), ...(options.guildLocale ? { guildLocale: options.guildLocale } : {}),
  }).start();
  const dataDir = await mkdtemp(join(tmpdir(), 'bot-data-'));
  const bot = new BotProcess({
    DISCORD_TOKEN: discord.validToken, DISCORD_APP_ID: discord.appId, DISCORD_GUILD_ID: discord.guildId, DISCORD_API_URL: discord.apiUrl,
    DISCORD_ATTACHMENT_HOSTS: new URL(discord.url).host, COMFYUI_URL: sims.map((each) => each.url).join(','), DATA_DIR: dataDir, PROGRESS_EDIT_MS: '500', LOG_LEVEL: 'info',
    ...options.env,
    ...options.envFrom?.(discord, sim),
  });
  bot.start();
  await discord.waitForRequest((request) => request.method === 'PUT' && request.path.endsWith('/commands'), 20_000, 'the bot to register its commands');
  const harness: Harness = {
    sim, sims, discord, bot,
    async restartBot() {
      await harness.bot.stop();
      const next = new BotProcess(harness.bot.env);
      next.start();
      harness.bot = next;
      await next.waitForLog(/logged in to Discord/, 20_000);
      return next;
    },
    async stop() {
      await harness.bot.stop();
      await discord.stop();
      for (const each of sims) await each.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}

export function member(name: string, extra: Partial<FakeUser> = {}): FakeUser {
  return { id: snowflake(), username: name, ...extra };
}

export function option(name: string, value: unknown, type = typeof value === 'number' ? (Number.isInteger(value) ? 4 : 10) : typeof value === 'boolean' ? 5 : 3) {
  return { name, type, value };
}

/** Waits for the reply of an interaction to satisfy a condition (checked on each edit). */
export async function waitForOriginal(discord: FakeDiscord, token: string, check: (message: StoredMessage) => boolean, what: string, timeoutMs = 15_000): Promise<StoredMessage> {
  return waitFor(() => {
    const message = discord.originals.get(token);
    return message && check(message) ? message : undefined;
  }, what, timeoutMs);
}

export function isEdit(token: string) {
  return (request: RecordedRequest) => request.method === 'PATCH' && request.path.includes(`/webhooks/`) && request.path.includes(token);
}

type Option = ReturnType<typeof option>;
type Extra = Parameters<FakeDiscord['chatInput']>[3];

/** Runs a slash command and returns the text of its first answer. */
export async function slash(discord: FakeDiscord, name: string, user: FakeUser, options: Option[] = [], extra: Extra = {}, timeoutMs = 15_000): Promise<string> {
  const { token } = discord.chatInput(name, options, user, extra);
  return (await waitForOriginal(discord, token, (message) => message.content !== '', `/${name} to answer`, timeoutMs)).content;
}

/** Sends /imagine and waits until it is queued (its reply names the job): the token, the job id and the reply. */
export async function queueImagine(discord: FakeDiscord, user: FakeUser, prompt: string, options: Option[] = [], extra: Extra = {}, timeoutMs = 15_000) {
  const { token } = discord.chatInput('imagine', [option('prompt', prompt), ...options], user, extra);
  const reply = await waitForOriginal(discord, token, (message) => /job `(\w+)`/.test(message.content), `${prompt} to be queued`, timeoutMs);
  return { token, jobId: (/job `(\w+)`/.exec(reply.content) as RegExpExecArray)[1] as string, reply };
}
