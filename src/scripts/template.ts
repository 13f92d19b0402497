import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { ComfyConfigSchema } from '../config.js';
import { loadConfigOrExit } from '../settings.js';
import { ComfyClient } from '../comfy/client.js';
import { serverFromSettings } from '../comfy/connection.js';
import { checkTemplateAgainstServer } from '../comfy/template-check.js';
import { loadTemplate } from '../comfy/templates.js';
import { loadEnvFile } from '../env.js';
import { templateNameFrom } from '../service/admin.js';
import { detectTemplate } from '../templates-import/detect.js';
import { readWorkflowFile } from '../templates-import/read.js';

const USAGE = 'usage: npm run template -- import FILE [--name NAME] [--out FOLDER] [--force]   (FILE: an API-format JSON, or a PNG/WebP saved by ComfyUI)';

function fail(message: string): never {
  process.stderr.write(`template import failed: ${message}\n`);
  process.exit(1);
}

/**
 * `npm run template -- import FILE`: reads a workflow ComfyUI exported (or saved into a picture), finds its
 * parameters, shows them, checks the template against the configured servers, and saves it into the templates
 * folder (TEMPLATES_DIR, or --out).
 */
loadEnvFile();
const { positionals, values } = parseArgs({ allowPositionals: true, options: { name: { type: 'string' }, out: { type: 'string' }, force: { type: 'boolean', default: false } } });
const [command, file] = positionals;
if (command !== 'import' || !file) fail(USAGE);
const config = loadConfigOrExit(ComfyConfigSchema);
const name = values.name ?? templateNameFrom(file);
let bytes: Buffer;
try {
  bytes = await readFile(file);
} catch (error) {
  fail(`could not read ${file}: ${(error as Error).message}`);
}
try {
  const { template, found } = detectTemplate(readWorkflowFile(basename(file), bytes), name);
  const out = values.out ?? config.TEMPLATES_DIR ?? 'templates';
  const path = join(out, `${template.name}.json`);
  loadTemplate(template, path);
  process.stdout.write(`${template.name}: a /${template.command} template with ${Object.keys(template.params).length} parameters\n${found.map((line) => `  - ${line}`).join('\n')}\n`);
  for (const url of config.COMFYUI_URL) {
    const client = new ComfyClient({ server: serverFromSettings(url, config), clientId: `template-${randomUUID()}`, timeoutMs: 5_000 });
    try {
      const problems = checkTemplateAgainstServer(loadTemplate(template, path), await client.objectInfo());
      process.stdout.write(problems.length === 0 ? `✔ fits ${client.displayUrl}\n` : `! on ${client.displayUrl}:\n${problems.map((problem) => `    - ${problem.message}; ${problem.fix}`).join('\n')}\n`);
    } catch (error) {
      process.stdout.write(`! could not check it against ${client.displayUrl}: ${(error as Error).message}\n`);
    } finally {
      await client.close();
    }
  }
  if (existsSync(path) && !values.force) fail(`${path} exists; pass --force to replace it, or --name to save it under another name`);
  await mkdir(out, { recursive: true });
  await writeFile(path, `${JSON.stringify(template, null, 2)}\n`);
  process.stdout.write(`saved ${path}${config.TEMPLATES_DIR ? '' : ' (set TEMPLATES_DIR to this folder so the bot loads it)'}\n`);
} catch (error) {
  fail((error as Error).message);
}
