import { z } from 'zod';
import type { ChannelDefaultsMap, ConfigFile } from './config-file.js';
import type { JobKind } from './jobs/job.js';

const snowflake = z.string().regex(/^\d{17,20}$/, 'must be a Discord id (17–20 digits)');
const csv = (fallback: string) => z.string().default(fallback).transform((text) => text.split(',').map((part) => part.trim()).filter(Boolean));
const int = (fallback: number, min: number, max: number) =>
  z.coerce.number({ error: 'must be a whole number' }).int('must be a whole number').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`).default(fallback);
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

const HeadersSchema = z.preprocess((text) => {
  if (text === undefined || text === '') return {};
  try {
    return JSON.parse(String(text));
  } catch {
    return 'not JSON';
  }
}, z.record(z.string(), z.string(), { error: 'must be a JSON object of header names to values, e.g. {"CF-Access-Client-Id":"…"}' }));

/** Settings shared by the bot and the command-line tools (render, doctor). */
const ComfySettings = {
  COMFYUI_URL: csv('http://127.0.0.1:8188').pipe(z.array(z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })).min(1, 'must list at least one ComfyUI server')),
  COMFYUI_TOKEN: optional(z.string()),
  COMFYUI_QUERY_TOKEN: optional(z.string()),
  COMFYUI_HEADERS: HeadersSchema,
  COMFYUI_TIMEOUT_MS: int(30_000, 1_000, 600_000),
  COMFYUI_POLL_MS: int(5_000, 100, 600_000),
  COMFYUI_RETRY_MS: int(1_000, 10, 600_000),
  COMFYUI_MOVE_AFTER_MS: int(30_000, 100, 3_600_000),
  TEMPLATES_DIR: optional(z.string()),
  DEFAULT_IMAGINE_TEMPLATE: z.string().default('txt2img'),
  DEFAULT_IMG2VID_TEMPLATE: z.string().default('img2vid'),
  DEFAULT_IMG2IMG_TEMPLATE: z.string().default('img2img'),
  DEFAULT_UPSCALE_TEMPLATE: z.string().default('upscale-model'),
  DEFAULT_INPAINT_TEMPLATE: z.string().default('inpaint'),
  /** Live previews on the progress message: asked of ComfyUI per prompt, and frames tied to their prompt. */
  PREVIEWS: z.enum(['true', 'false'], { error: 'must be true or false' }).default('true').transform((value) => value === 'true'),
  PREVIEW_METHOD: z.enum(['auto', 'latent2rgb', 'taesd'], { error: 'must be auto, latent2rgb or taesd' }).default('auto'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

const BotSettings = {
  ...ComfySettings,
  DISCORD_TOKEN: z.string({ error: 'is missing: create a bot at https://discord.com/developers/applications → your app → Bot → Reset Token, and put it in .env' }).min(50, 'does not look like a bot token (copy it from the Developer Portal → Bot → Reset Token)'),
  DISCORD_APP_ID: z.string({ error: 'is missing: copy the Application ID from the Developer Portal → General Information' }).regex(/^\d{17,20}$/, 'must be a Discord id (17–20 digits)'),
  DISCORD_GUILD_ID: optional(snowflake),
  DISCORD_API_URL: z.url().default('https://discord.com/api'),
  DISCORD_ATTACHMENT_HOSTS: csv('cdn.discordapp.com,media.discordapp.net'),
  /** Health and metrics over HTTP: off unless set (0 lets the system pick a free port, which is logged). */
  HTTP_PORT: optional(z.coerce.number({ error: 'must be a port number' }).int('must be a port number').min(0, 'must be a port number').max(65_535, 'must be a port number')),
  HTTP_HOST: z.string().default('127.0.0.1'),
  COMFYUI_MAX_IN_FLIGHT: int(2, 1, 32),
  SUBMITS_PER_MINUTE: int(120, 1, 10_000),
  MAX_WAITING_PER_USER: int(5, 1, 1000),
  ADMIN_ROLE_ID: optional(snowflake),
  PROGRESS_EDIT_MS: int(2_000, 500, 60_000),
  MAX_INPUT_IMAGE_BYTES: int(10 * 1024 * 1024, 1024, 100 * 1024 * 1024),
  MAX_INPUT_IMAGE_SIDE: int(4096, 64, 16_384),
  DATA_DIR: z.string().default('./data'),
  JOBS_DB: optional(z.string()),
  ALLOWED_GUILD_IDS: csv('').pipe(z.array(snowflake)),
  ALLOWED_CHANNEL_IDS: csv('').pipe(z.array(snowflake)),
  ALLOWED_ROLE_IDS: csv('').pipe(z.array(snowflake)),
  IMAGINE_ROLE_IDS: csv('').pipe(z.array(snowflake)),
  IMG2VID_ROLE_IDS: csv('').pipe(z.array(snowflake)),
  JOBS_PER_HOUR: int(30, 0, 100_000),
  COOLDOWN_SECONDS: int(0, 0, 86_400),
  GUILD_JOBS_PER_HOUR: int(0, 0, 1_000_000),
  GUILD_MAX_WAITING: int(0, 0, 100_000),
  ADMINS_EXEMPT: z.enum(['true', 'false'], { error: 'must be true or false' }).default('true').transform((value) => value === 'true'),
  ALLOW_DMS: z.enum(['true', 'false'], { error: 'must be true or false' }).default('false').transform((value) => value === 'true'),
  BANNED_WORDS: csv(''),
  SHUTDOWN_GRACE_MS: int(10_000, 0, 120_000),
};

export const ComfyConfigSchema = z.object(ComfySettings);
export const BotConfigSchema = z.object(BotSettings);
export type ComfyConfig = z.infer<typeof ComfyConfigSchema>;
export type BotConfig = z.infer<typeof BotConfigSchema>;

export type ConfigResult<T> =
  | { ok: true; config: T; channels: ChannelDefaultsMap; /** Settings config.yaml sets that the environment overrides. */ overridden: string[] }
  | { ok: false; problems: string[] };

/** config.yaml, read: its settings and where each came from. */
export interface FileSettings {
  name: string;
  parsed: ConfigFile;
}

/**
 * Pure: parses an environment (over config.yaml's settings, when given) into config, or lists every problem
 * (never throws, never prints). The environment wins over the file; a problem with a value from the file names
 * the file, the line and the key.
 */
export function parseConfig<T extends z.ZodObject>(schema: T, env: Record<string, string | undefined>, file?: FileSettings): ConfigResult<z.infer<T>> {
  // A blank value (`DISCORD_TOKEN=` as in .env.example) means "not set", so the file, defaults and "is missing" apply.
  const set = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''));
  const fromFile = file ? Object.fromEntries(Object.entries(file.parsed.env).filter(([key]) => !(key in set) && key in schema.shape)) : {};
  const result = schema.safeParse({ ...fromFile, ...set });
  if (result.success) {
    const overridden = file ? Object.keys(file.parsed.env).filter((key) => key in set && key in schema.shape).map((key) => `${file.parsed.origins.get(key)?.key ?? key} (${key})`) : [];
    return { ok: true, config: result.data, channels: file?.parsed.channels ?? {}, overridden };
  }
  const problems = result.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? '');
    const origin = key in fromFile ? file?.parsed.origins.get(key) : undefined;
    return origin && file ? `${file.name}:${origin.line}: ${origin.key} ${issue.message}` : `${issue.path.join('.') || 'environment'} ${issue.message}`;
  });
  return { ok: false, problems };
}

/**
 * Secrets from config, so logs and messages can be scrubbed of them. Every non-empty one is listed: secretForms
 * (src/secrets.ts) decides which are long enough to redact everywhere. URL credentials add the `user:pass` pair,
 * which is what a Basic auth header encodes.
 */
export function secretsOf(config: Partial<BotConfig>): string[] {
  const secrets = [config.DISCORD_TOKEN, config.COMFYUI_TOKEN, config.COMFYUI_QUERY_TOKEN, ...Object.values(config.COMFYUI_HEADERS ?? {})];
  for (const url of config.COMFYUI_URL ?? []) {
    const parsed = new URL(url);
    if (parsed.password) {
      const password = decodeURIComponent(parsed.password);
      secrets.push(password, `${decodeURIComponent(parsed.username)}:${password}`);
    }
    const own = new URLSearchParams(parsed.hash.slice(1));
    for (const key of ['token', 'query_token']) secrets.push(own.get(key) ?? undefined);
  }
  return [...new Set(secrets.filter((secret): secret is string => typeof secret === 'string' && secret.length > 0))];
}

/** The template each kind of job uses when none is named, as configured (see comfy/defaults.ts for the choice made). */
export function configuredDefaults(config: Pick<ComfyConfig, 'DEFAULT_IMAGINE_TEMPLATE' | 'DEFAULT_IMG2VID_TEMPLATE' | 'DEFAULT_IMG2IMG_TEMPLATE' | 'DEFAULT_UPSCALE_TEMPLATE' | 'DEFAULT_INPAINT_TEMPLATE'>): Record<JobKind, string> {
  return {
    imagine: config.DEFAULT_IMAGINE_TEMPLATE, img2vid: config.DEFAULT_IMG2VID_TEMPLATE, img2img: config.DEFAULT_IMG2IMG_TEMPLATE,
    upscale: config.DEFAULT_UPSCALE_TEMPLATE, inpaint: config.DEFAULT_INPAINT_TEMPLATE,
  };
}
