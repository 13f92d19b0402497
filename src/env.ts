import { copyFileSync, existsSync } from 'node:fs';
import dotenv from 'dotenv';

/**
 * Loads `.env` (or DOTENV_CONFIG_PATH). On a first run without one, copies `.env.example` (and
 * `config.example.yaml`, when there is no config.yaml either) so a newcomer has every setting in front of them;
 * config validation then lists what still needs filling in.
 */
export function loadEnvFile(createIfMissing = false): void {
  const path = process.env['DOTENV_CONFIG_PATH'] ?? '.env';
  if (createIfMissing && !process.env['DOTENV_CONFIG_PATH'] && !existsSync(path) && existsSync('.env.example')) {
    copyFileSync('.env.example', path);
    const config = !process.env['CONFIG_FILE'] && !existsSync('config.yaml') && existsSync('config.example.yaml');
    if (config) copyFileSync('config.example.yaml', 'config.yaml');
    process.stderr.write(`Created .env${config ? ' and config.yaml' : ''} from the examples. Fill in DISCORD_TOKEN and DISCORD_APP_ID in .env (README → "Setting up Discord").\n`);
  }
  dotenv.config({ path, quiet: true });
}
