import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { z } from 'zod';
import { parseConfigFile } from './config-file.js';
import { parseConfig, type ConfigResult } from './config.js';

/** The config file the running settings came from, and whether it had anything in it. */
export interface FileRead {
  path: string;
  hadContent: boolean;
}

export interface ReadOptions {
  /** The file the running settings came from: a reload refuses to go on without it, or with it emptied. */
  keep?: FileRead | undefined;
}

/** config.yaml beside the bot, or CONFIG_FILE. */
export function configFilePath(env: Record<string, string | undefined> = process.env): string {
  return resolve(env['CONFIG_FILE']?.trim() || 'config.yaml');
}

/**
 * The settings from config.yaml (optional, unless CONFIG_FILE names it) and the environment, which wins. Reads the
 * file now, so it is also how a reload re-reads it; never throws, never prints.
 */
export function readSettings<T extends z.ZodObject>(schema: T, env: Record<string, string | undefined> = process.env, options: ReadOptions = {}): ConfigResult<z.infer<T>> & { file?: FileRead } {
  const path = configFilePath(env);
  const named = Boolean(env['CONFIG_FILE']?.trim());
  // A reload must not quietly fall back to every default (access lists included) because the file vanished or was
  // truncated mid-save: the file the running settings came from must still be there, with something in it.
  if (options.keep && !existsSync(options.keep.path)) return { ok: false, problems: [`${options.keep.path} is gone (the running settings came from it); put it back, or restart the bot to run without it`] };
  if (!existsSync(path)) {
    if (named) return { ok: false, problems: [`CONFIG_FILE is ${path}, which does not exist; create it or unset CONFIG_FILE`] };
    return parseConfig(schema, env);
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return { ok: false, problems: [`could not read ${path}: ${(error as Error).message}`] };
  }
  const hadContent = text.trim() !== '';
  if (options.keep?.hadContent && options.keep.path === path && !hadContent) {
    return { ok: false, problems: [`${path} is empty; to go back to every default on purpose, leave a comment line in it (# defaults)`] };
  }
  const parsed = parseConfigFile(text, path);
  if (!parsed.ok) return parsed;
  return { ...parseConfig(schema, env, { name: path, parsed: parsed.file }), file: { path, hadContent } };
}

/** Reads the settings or exits 1 with every problem in one list: never a stack trace. */
export function loadConfigOrExit<T extends z.ZodObject>(schema: T, env: Record<string, string | undefined> = process.env): z.infer<T> {
  return loadSettingsOrExit(schema, env).config;
}

export function loadSettingsOrExit<T extends z.ZodObject>(schema: T, env: Record<string, string | undefined> = process.env): Extract<ReturnType<typeof readSettings<T>>, { ok: true }> {
  const result = readSettings(schema, env);
  if (result.ok) return result;
  process.stderr.write(`Configuration problems (see .env.example and README → Settings):\n${result.problems.map((problem) => `  - ${problem}`).join('\n')}\n`);
  process.exit(1);
}
