import { pino, type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level: string;
  /** Values that must never reach a log line (tokens, passwords); each is replaced by [redacted]. */
  secrets?: readonly string[];
  destination?: NodeJS.WritableStream;
}

export function scrub(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) if (secret) result = result.split(secret).join('[redacted]');
  return result;
}

export function createLogger(options: LoggerOptions): Logger {
  const secrets = options.secrets ?? [];
  return pino(
    {
      level: options.level,
      redact: { paths: ['token', '*.token', 'headers.authorization', '*.headers.authorization', 'authorization'], censor: '[redacted]' },
      hooks: { streamWrite: (line) => scrub(line, secrets) },
    },
    options.destination ?? process.stdout,
  );
}
