import { randomUUID } from 'node:crypto';
import { mkdir, rm, statfs, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { ComfyConfigSchema, configuredDefaults, loadConfigOrExit } from '../config.js';
import { ComfyClient } from '../comfy/client.js';
import { serverFromSettings } from '../comfy/connection.js';
import { checkTemplateAgainstServer, resolveServerDefaults } from '../comfy/template-check.js';
import { loadTemplates, type Template } from '../comfy/templates.js';
import { chooseDefault } from '../comfy/defaults.js';
import { previewSupport } from '../comfy/previews.js';
import type { ObjectInfo } from '../comfy/schemas.js';
import { loadEnvFile } from '../env.js';
import { JobStore } from '../jobs/store.js';
import { templateDirs } from '../templates-registry.js';

/** Where the bot keeps its data (the rest of the bot's settings are not needed to check it). */
const StorageSchema = z.looseObject({ DATA_DIR: z.string().min(1).default('./data'), JOBS_DB: z.string().min(1).optional().catch(undefined) });
/** Below this, the disk check fails; below ten times this, it warns. */
const LOW_DISK_BYTES = 200 * 2 ** 20;

/** `npm run doctor`: is each ComfyUI server reachable, does every template fit it, can the bot keep its data? Exit 1 if not. */
loadEnvFile();
const config = loadConfigOrExit(ComfyConfigSchema);
let healthy = true;
const say = (ok: boolean, text: string): void => {
  healthy &&= ok;
  process.stdout.write(`${ok ? '✔' : '✘'} ${text}\n`);
};

try {
  const templates = await loadTemplates(templateDirs(config.TEMPLATES_DIR));
  say(true, `templates: ${[...templates.keys()].join(', ')}`);
  const infos: ObjectInfo[] = [];
  for (const url of config.COMFYUI_URL) {
    const client = new ComfyClient({ server: serverFromSettings(url, config), clientId: `doctor-${randomUUID()}`, timeoutMs: config.COMFYUI_TIMEOUT_MS });
    try {
      const stats = await client.systemStats();
      const device = stats.devices[0];
      say(true, `${client.displayUrl}: ComfyUI ${stats.system.comfyui_version ?? '(version unknown)'}${device ? ` on ${device.name}` : ''}`);
      const previews = previewSupport(stats.system.comfyui_version, stats.system.argv);
      process.stdout.write(previews === 'none'
        ? `! previews: ComfyUI ${stats.system.comfyui_version ?? ''} does not take the bot's per-prompt request (v0.5+ does) and was started without --preview-method; start it with --preview-method auto to show pictures forming\n`
        : `✔ previews: ${previews === 'per-prompt' ? 'asked per prompt' : 'on (started with --preview-method)'}\n`);
      const info = await client.objectInfo();
      infos.push(info);
      for (const template of templates.values()) {
        const problems = checkTemplateAgainstServer(template, info);
        const { notes } = resolveServerDefaults(template, info);
        say(problems.length === 0, `${template.name}${problems.length === 0 ? ' fits this server' : ':'}${notes.length ? ` (${notes.join('; ')})` : ''}`);
        for (const problem of problems) process.stdout.write(`    - ${problem.message}; ${problem.fix}\n`);
      }
    } catch (error) {
      say(false, `${client.displayUrl}: ${(error as Error).message}`);
    } finally {
      await client.close();
    }
  }
  if (infos.length > 0) {
    const fitness = (template: Template) => (infos.some((info) => checkTemplateAgainstServer(template, info).length === 0) ? 'fits' as const : 'unfit' as const);
    const missing = (template: Template) => checkTemplateAgainstServer(template, infos[0] ?? {}).map((problem) => problem.message);
    for (const [kind, configured] of Object.entries(configuredDefaults(config))) {
      const choice = chooseDefault(kind, configured, templates, fitness, missing);
      process.stdout.write(`${choice.reason ? '!' : '✔'} default /${kind} template: ${choice.name}${choice.reason ? ` (${choice.reason})` : ''}\n`);
    }
  }
} catch (error) {
  say(false, (error as Error).message);
}
await checkStorage();
process.exit(healthy ? 0 : 1);

/** The data folder takes files, the job ledger opens (and is migrated, as the bot would), and the disk has room. */
async function checkStorage(): Promise<void> {
  const storage = StorageSchema.parse(process.env);
  const dir = resolve(storage.DATA_DIR);
  try {
    await mkdir(dir, { recursive: true });
    const probe = join(dir, `.doctor-${process.pid}`);
    await writeFile(probe, 'ok');
    await rm(probe);
    say(true, `data folder ${dir} is writable`);
  } catch (error) {
    say(false, `data folder ${dir} is not writable (${(error as Error).message}); set DATA_DIR to a folder the bot may write`);
    return;
  }
  try {
    const store = new JobStore(storage.JOBS_DB ?? join(dir, 'jobs.sqlite'));
    const unfinished = store.active().length;
    store.close();
    say(true, `the job ledger opens (${unfinished} unfinished job${unfinished === 1 ? '' : 's'})`);
  } catch (error) {
    say(false, `the job ledger does not open: ${(error as Error).message}`);
  }
  const { bavail, bsize } = await statfs(dir);
  const free = bavail * bsize;
  const text = `${(free / 2 ** 30).toFixed(1)} GiB free on the data folder's disk`;
  if (free < LOW_DISK_BYTES) say(false, `${text}: results and the ledger need room; free some space`);
  else process.stdout.write(`${free < 10 * LOW_DISK_BYTES ? '!' : '✔'} ${text}\n`);
}
