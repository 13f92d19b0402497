import { LineCounter, parseDocument, isMap, isScalar, type Document } from 'yaml';
import { z } from 'zod';
import { ASPECT_RATIOS } from './comfy/aspect.js';

/** Where each key of config.yaml lands among the settings (the environment variable of the same meaning). */
export const FILE_KEYS: Readonly<Record<string, string>> = {
  servers: 'COMFYUI_URL',
  templates_dir: 'TEMPLATES_DIR',
  'defaults.imagine': 'DEFAULT_IMAGINE_TEMPLATE',
  'defaults.img2vid': 'DEFAULT_IMG2VID_TEMPLATE',
  'defaults.img2img': 'DEFAULT_IMG2IMG_TEMPLATE',
  'defaults.upscale': 'DEFAULT_UPSCALE_TEMPLATE',
  'defaults.inpaint': 'DEFAULT_INPAINT_TEMPLATE',
  previews: 'PREVIEWS',
  preview_method: 'PREVIEW_METHOD',
  log_level: 'LOG_LEVEL',
  data_dir: 'DATA_DIR',
  jobs_db: 'JOBS_DB',
  'comfyui.timeout_ms': 'COMFYUI_TIMEOUT_MS',
  'comfyui.poll_ms': 'COMFYUI_POLL_MS',
  'comfyui.retry_ms': 'COMFYUI_RETRY_MS',
  'comfyui.move_after_ms': 'COMFYUI_MOVE_AFTER_MS',
  'comfyui.max_in_flight': 'COMFYUI_MAX_IN_FLIGHT',
  'discord.guild_id': 'DISCORD_GUILD_ID',
  'discord.api_url': 'DISCORD_API_URL',
  'discord.attachment_hosts': 'DISCORD_ATTACHMENT_HOSTS',
  'http.port': 'HTTP_PORT',
  'http.host': 'HTTP_HOST',
  'limits.jobs_per_hour': 'JOBS_PER_HOUR',
  'limits.cooldown_seconds': 'COOLDOWN_SECONDS',
  'limits.guild_jobs_per_hour': 'GUILD_JOBS_PER_HOUR',
  'limits.guild_max_waiting': 'GUILD_MAX_WAITING',
  'limits.max_waiting_per_user': 'MAX_WAITING_PER_USER',
  'limits.submits_per_minute': 'SUBMITS_PER_MINUTE',
  'limits.admins_exempt': 'ADMINS_EXEMPT',
  'limits.max_input_image_bytes': 'MAX_INPUT_IMAGE_BYTES',
  'limits.max_input_image_side': 'MAX_INPUT_IMAGE_SIDE',
  'limits.progress_edit_ms': 'PROGRESS_EDIT_MS',
  'limits.shutdown_grace_ms': 'SHUTDOWN_GRACE_MS',
  'access.allowed_guilds': 'ALLOWED_GUILD_IDS',
  'access.allowed_channels': 'ALLOWED_CHANNEL_IDS',
  'access.allowed_roles': 'ALLOWED_ROLE_IDS',
  'access.imagine_roles': 'IMAGINE_ROLE_IDS',
  'access.img2vid_roles': 'IMG2VID_ROLE_IDS',
  'access.admin_role': 'ADMIN_ROLE_ID',
  'access.allow_dms': 'ALLOW_DMS',
  banned_words: 'BANNED_WORDS',
};

/** Secrets never go in config.yaml (it is meant to be shared and committed); they stay in .env. */
const SECRET_KEYS = new Set(['discord_token', 'token', 'comfyui_token', 'comfyui_query_token', 'comfyui_headers', 'headers', 'discord.token']);
const GROUPS = new Set(Object.keys(FILE_KEYS).filter((key) => key.includes('.')).map((key) => key.split('.')[0] as string));

const SIZE_PATTERN = new RegExp(`^(?:${ASPECT_RATIOS.join('|')}|[1-9]\\d{1,3}x[1-9]\\d{1,3})$`);

/** What a channel (or a category, for every channel in it) changes about the jobs asked there. */
export const ChannelDefaultsSchema = z.strictObject({
  template: z.string().min(1, 'must name a template').optional(),
  size: z.string().regex(SIZE_PATTERN, `must be an aspect ratio (${ASPECT_RATIOS.join(', ')}) or WIDTHxHEIGHT, e.g. 1024x768`).optional(),
  steps: z.number({ error: 'must be a whole number' }).int('must be a whole number').min(1, 'must be at least 1').max(150, 'must be at most 150').optional(),
  negative_prefix: z.string().optional(),
  spoiler: z.boolean({ error: 'must be true or false' }).optional(),
});
export type ChannelDefaults = z.infer<typeof ChannelDefaultsSchema>;
// A channel whose keys are all commented out is `null` in YAML: no defaults, not a mistake.
const ChannelsSchema = z.record(z.string().regex(/^\d{17,20}$/, 'must be a channel or category id (17–20 digits)'), z.preprocess((value) => value ?? {}, ChannelDefaultsSchema));
export type ChannelDefaultsMap = Readonly<Record<string, ChannelDefaults>>;

export interface ConfigFile {
  /** Settings by environment variable name, as text (the environment's own values win over these). */
  env: Record<string, string>;
  channels: ChannelDefaultsMap;
  /** Where in the file each setting came from, to name it in errors. */
  origins: ReadonlyMap<string, { key: string; line: number }>;
}

export type ConfigFileResult = { ok: true; file: ConfigFile } | { ok: false; problems: string[] };

/** Pure: reads config.yaml's text into settings and per-channel defaults, or lists every problem as `file:line: key …`. */
export function parseConfigFile(text: string, fileName: string): ConfigFileResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, intAsBigInt: true, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return { ok: false, problems: doc.errors.map((error) => `${fileName}:${lines.linePos(error.pos[0]).line}: ${error.message.split('\n')[0]}`) };
  }
  const lineOf = (path: readonly string[]): number => lineIn(doc, lines, path);
  const duplicates = duplicateChannels(doc);
  if (duplicates.length > 0) return { ok: false, problems: duplicates.map((id) => `${fileName}:${lineOf(['channels', id])}: channels.${id} is given twice (quoted and not); keep one`) };
  let root: unknown;
  try {
    // Both refuse what aliases can do: expand too often (an alias bomb), or contain themselves.
    root = plain(doc.toJS({ maxAliasCount: 100 }), new Set());
  } catch (error) {
    return { ok: false, problems: [`${fileName}: ${error instanceof Error ? error.message : String(error)}`] };
  }
  if (root === undefined || root === null) return { ok: true, file: { env: {}, channels: {}, origins: new Map() } };
  if (!isRecord(root)) return { ok: false, problems: [`${fileName}:1: the file must be a map of keys (see README → Settings)`] };
  const problems: string[] = [];
  const env: Record<string, string> = {};
  const origins = new Map<string, { key: string; line: number }>();
  const put = (key: string, value: unknown): void => {
    const envKey = FILE_KEYS[key] as string;
    const path = key.split('.');
    const asText = key === 'servers' ? serversText(value) : settingText(value);
    if (key === 'servers' && asText !== undefined && asText.split(',').some(hasCredentials)) {
      problems.push(`${fileName}:${lineOf(path)}: servers has a URL with a password or token; those are secrets: list that server in .env as COMFYUI_URL instead (README → Several servers)`);
      return;
    }
    if (asText === undefined) {
      problems.push(`${fileName}:${lineOf(path)}: ${key} ${key === 'servers' ? 'must be a list of URLs, or of { url, label }' : 'must be a value or a list of values'}`);
      return;
    }
    // Lists reach the settings comma-separated (as in the environment): an item with a comma would become two.
    if (Array.isArray(value) && key !== 'servers' && value.some((item) => typeof item === 'string' && item.includes(','))) {
      problems.push(`${fileName}:${lineOf(path)}: ${key} has an item with a comma; make each its own list entry`);
      return;
    }
    env[envKey] = asText;
    origins.set(envKey, { key, line: lineOf(path) });
  };
  let channels: ChannelDefaultsMap = {};
  for (const [key, value] of Object.entries(root)) {
    if (SECRET_KEYS.has(key.toLowerCase())) problems.push(`${fileName}:${lineOf([key])}: ${key} is a secret; put it in .env, not in ${fileName}`);
    else if (key === 'channels') {
      const parsed = ChannelsSchema.safeParse(value ?? {});
      if (parsed.success) channels = parsed.data;
      else for (const issue of parsed.error.issues) problems.push(`${fileName}:${lineOf(['channels', ...issue.path.map(String)])}: ${['channels', ...issue.path.map(String)].join('.')} ${issueText(issue)}`);
    } else if (GROUPS.has(key)) {
      if (value === null || value === undefined) continue;
      if (!isRecord(value)) {
        problems.push(`${fileName}:${lineOf([key])}: ${key} must be a map of keys (${known(key)})`);
        continue;
      }
      for (const [inner, innerValue] of Object.entries(value)) {
        const dotted = `${key}.${inner}`;
        if (dotted in FILE_KEYS) {
          if (innerValue !== null) put(dotted, innerValue);
        } else problems.push(`${fileName}:${lineOf([key, inner])}: ${dotted} is not a setting (${key} takes ${known(key)})`);
      }
    } else if (key in FILE_KEYS) {
      if (value !== null) put(key, value);
    } else problems.push(`${fileName}:${lineOf([key])}: ${key} is not a setting (see README → Settings for every key)`);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, file: { env, channels, origins } };
}

function known(group: string): string {
  return Object.keys(FILE_KEYS).filter((key) => key.startsWith(`${group}.`)).map((key) => key.slice(group.length + 1)).join(', ');
}

function issueText(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_key') return 'must be a channel or category id (17–20 digits)';
  if (issue.code === 'unrecognized_keys') return `has unknown ${issue.keys.length === 1 ? 'key' : 'keys'} ${issue.keys.join(', ')} (a channel takes template, size, steps, negative_prefix, spoiler)`;
  return issue.message;
}

/** The line of the deepest key of `path` that exists. Keys are compared as text: an unquoted id is a BigInt there. */
function lineIn(doc: Document, lines: LineCounter, path: readonly string[]): number {
  let node: unknown = doc.contents;
  let line = 1;
  for (const key of path) {
    if (!isMap(node)) break;
    const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === key);
    if (!pair || !isScalar(pair.key)) break;
    if (pair.key.range) line = lines.linePos(pair.key.range[0]).line;
    node = pair.value;
  }
  return line;
}

/**
 * YAML integers come as BigInt (so 18-digit ids stay exact): ids become text, small numbers numbers. A value that
 * contains itself (an alias inside its own anchor: `a: &x [*x]`) is refused rather than followed forever.
 */
function plain(value: unknown, path: Set<unknown>): unknown {
  if (typeof value === 'bigint') return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  if (typeof value !== 'object' || value === null) return value;
  if (path.has(value)) throw new Error('a value refers to itself (an alias inside its own anchor); write it out instead');
  path.add(value);
  const result = Array.isArray(value) ? value.map((item) => plain(item, path)) : Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, plain(inner, path)]));
  path.delete(value);
  return result;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** A value, or a list (the environment's comma-separated form). */
function settingText(value: unknown): string | undefined {
  if (!Array.isArray(value)) return scalarText(value);
  const items = value.map(scalarText);
  return items.every((item): item is string => item !== undefined) ? items.join(',') : undefined;
}

/** `servers` entries: a URL, or `{ url, label }` (the label rides in the URL's fragment, as COMFYUI_URL takes it). */
function serversText(value: unknown): string | undefined {
  const list = Array.isArray(value) ? value : [value];
  const urls: string[] = [];
  for (const entry of list) {
    // One URL per entry: a comma would make two servers of it.
    if (typeof entry === 'string' && entry.includes(',')) return undefined;
    if (isRecord(entry) && typeof entry['url'] === 'string' && entry['url'].includes(',')) return undefined;
    if (typeof entry === 'string') urls.push(entry);
    else if (isRecord(entry) && typeof entry['url'] === 'string' && Object.keys(entry).every((key) => key === 'url' || key === 'label')) {
      const label = entry['label'];
      if (label === undefined || label === null) urls.push(entry['url']);
      else if (typeof label === 'string' || typeof label === 'number') urls.push(withLabel(entry['url'], String(label)));
      else return undefined;
    } else return undefined;
  }
  return urls.join(',');
}

/** A server URL carrying a password or a token: those are secrets, kept in .env (COMFYUI_URL). */
function hasCredentials(url: string): boolean {
  try {
    const parsed = new URL(url);
    const own = new URLSearchParams(parsed.hash.slice(1));
    return parsed.password !== '' || parsed.username !== '' || own.has('token') || own.has('query_token');
  } catch {
    return false; // Not a URL: the settings schema says so.
  }
}

/** Channel ids written twice, once quoted and once not (YAML sees two different keys; the second would win silently). */
function duplicateChannels(doc: Document): string[] {
  const channels = isMap(doc.contents) ? doc.contents.items.find((item) => isScalar(item.key) && item.key.value === 'channels')?.value : undefined;
  if (!isMap(channels)) return [];
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const item of channels.items) {
    const id = isScalar(item.key) ? String(item.key.value) : '';
    if (seen.has(id)) twice.add(id);
    seen.add(id);
  }
  return [...twice];
}

function withLabel(url: string, label: string): string {
  const hash = url.indexOf('#');
  const fragment = new URLSearchParams(hash < 0 ? '' : url.slice(hash + 1));
  fragment.set('label', label);
  return `${hash < 0 ? url : url.slice(0, hash)}#${fragment.toString()}`;
}
