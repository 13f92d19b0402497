import { copyFileSync, existsSync } from 'node:fs';
import dotenv from 'dotenv';

/**
 * Loads `.env` (or DOTENV_CONFIG_PATH). On a first run without one, copies `.env.example` so a newcomer has
 * every setting in front of them; config validation then lists what still needs filling in.
 */
export function loadEnvFile(createIfMissing = false): void {
  const path = process.env['DOTENV_CONFIG_PATH'] ?? '.env';
  if (createIfMissing && !process.env['DOTENV_CONFIG_PATH'] && !existsSync(path) && existsSync('.env.example')) {
    copyFileSync('.env.example', path);
    process.stderr.write('Created .env from .env.example. Fill in DISCORD_TOKEN and DISCORD_APP_ID (README → "Setting up Discord").\n');
  }
  dotenv.config({ path, quiet: true });
}
