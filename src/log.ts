import { pino, type Logger } from 'pino';
import { createRequire } from 'node:module';
import { createScrubber } from './secrets.js';

export type { Logger };

export interface LoggerOptions {
  level: string;
  /** Values that must never reach a log line (tokens, passwords); each is replaced by [redacted] in every form (see secrets.ts). */
  secrets?: readonly string[];
  destination?: NodeJS.WritableStream;
}

const SCRUBBER_CACHE_SIZE = 16;
const scrubbers = new Map<string, (text: string) => string>();

function scrubberFor(secrets: readonly string[]): (text: string) => string {
  const key = JSON.stringify(secrets);
  const cached = scrubbers.get(key);
  if (cached) return cached;
  const scrubber = createScrubber(secrets);
  if (scrubbers.size >= SCRUBBER_CACHE_SIZE) scrubbers.delete(scrubbers.keys().next().value ?? '');
  scrubbers.set(key, scrubber);
  return scrubber;
}

/** Redacts the secrets in their raw, JSON-escaped, percent-encoded and base64 forms, and credentials in URLs. */
export function scrub(text: string, secrets: readonly string[]): string {
  return scrubberFor(secrets)(text);
}

/** pino-pretty, loaded only when a person watches (a bot under a supervisor never pays for it). */
function prettyStream(): NodeJS.WritableStream {
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
  return pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' });
}

/**
 * JSON lines for log collectors; readable lines (pino-pretty, in this thread: no worker) when a person watches a
 * terminal. Secrets are scrubbed from the JSON before either sees it.
 */
export function createLogger(options: LoggerOptions): Logger {
  const scrubLine = createScrubber(options.secrets ?? []);
  const destination = options.destination ?? (process.stdout.isTTY ? prettyStream() : process.stdout);
  return pino(
    {
      level: options.level,
      redact: { paths: ['token', '*.token', 'headers.authorization', '*.headers.authorization', 'authorization'], censor: '[redacted]' },
      hooks: { streamWrite: (line) => scrubLine(line) },
    },
    destination,
  );
}
