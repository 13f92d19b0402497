import { randomUUID } from 'node:crypto';
import { mkdir, rm, statfs, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { commands } from '../commands/index.js';
import { BotConfigSchema, ComfyConfigSchema, configuredDefaults } from '../config.js';
import { formatCheck, type Check } from '../doctor/check.js';
import { checkDiscord } from '../doctor/discord.js';
import { readSettings } from '../settings.js';
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
import type { ChannelDefaultsMap } from '../config-file.js';

/** Where the bot keeps its data (the rest of the bot's settings are not needed to check it). */
const StorageSchema = z.looseObject({ DATA_DIR: z.string().min(1).default('./data'), JOBS_DB: z.string().min(1).optional().catch(undefined) });
/** Below this, the disk check fails; below ten times this, it warns. */
const LOW_DISK_BYTES = 200 * 2 ** 20;

/**
 * `npm run doctor`: is the config valid, does Discord take the token and let the bot post where it must, are the
 * commands current, is each ComfyUI server reachable, does every template fit it, can the bot keep its data?
 * Each failure says what to do; exit 0 only when everything passes.
 */
loadEnvFile();
let healthy = true;
const report = (check: Check): void => {
  healthy &&= check.status !== 'fail';
  process.stdout.write(`${formatCheck(check)}\n`);
};
const say = (ok: boolean, text: string): void => report({ status: ok ? 'ok' : 'fail', text });

const bot = readSettings(BotConfigSchema);
if (bot.ok) say(true, `the config is valid${bot.file ? ` (${bot.file.path} and the environment)` : ' (the environment; no config.yaml)'}`);
else for (const problem of bot.problems) say(false, `config: ${problem}`);
if (bot.ok && bot.overridden.length > 0) report({ status: 'warn', text: `the environment (or .env) overrides ${bot.overridden.join(', ')} of ${bot.file?.path ?? 'config.yaml'}` });
const comfy = readSettings(ComfyConfigSchema);
if (bot.ok) {
  for (const check of await checkDiscord(bot.config, commands.map((command) => command.data))) report(check);
}
if (comfy.ok) await checkComfy(comfy.config, bot.ok ? bot.channels : {});
await checkStorage();
process.exit(healthy ? 0 : 1);

async function checkComfy(config: z.infer<typeof ComfyConfigSchema>, channels: ChannelDefaultsMap): Promise<void> {
  try {
    const templates = await loadTemplates(templateDirs(config.TEMPLATES_DIR));
    say(true, `templates: ${[...templates.keys()].join(', ')}`);
    for (const [channel, defaults] of Object.entries(channels)) {
      if (defaults.template && !templates.has(defaults.template)) say(false, `channels.${channel}.template is ${defaults.template}, which is not a template; use one of: ${[...templates.keys()].join(', ')}`);
    }
    const infos: ObjectInfo[] = [];
    for (const url of config.COMFYUI_URL) {
      const client = new ComfyClient({ server: serverFromSettings(url, config), clientId: `doctor-${randomUUID()}`, timeoutMs: config.COMFYUI_TIMEOUT_MS });
      try {
        const stats = await client.systemStats();
        const device = stats.devices[0];
        const vram = device?.vram_total ? `, ${gib(device.vram_free ?? 0)} of ${gib(device.vram_total)} GiB VRAM free` : '';
        say(true, `${client.displayUrl}: ComfyUI ${stats.system.comfyui_version ?? '(version unknown)'}${device ? ` on ${device.name}${vram}` : ''}`);
        const previews = previewSupport(stats.system.comfyui_version, stats.system.argv);
        process.stdout.write(previews === 'none'
          ? `! previews: ComfyUI ${stats.system.comfyui_version ?? ''} does not take the bot's per-prompt request (v0.5+ does) and was started without --preview-method; start it with --preview-method auto to show pictures forming\n`
          : `✔ previews: ${previews === 'per-prompt' ? 'asked per prompt' : 'on (started with --preview-method)'}\n`);
        const info = await client.objectInfo();
        infos.push(info);
        for (const template of templates.values()) {
          const problems = checkTemplateAgainstServer(template, info);
          const { notes } = resolveServerDefaults(template, info);
          // A template this server cannot run is worth knowing, not a failure: another server, or another template of its kind, may do the job (checked below).
          report({ status: problems.length === 0 ? 'ok' : 'warn', text: `${template.name}${problems.length === 0 ? ' fits this server' : ' cannot run on this server:'}${notes.length ? ` (${notes.join('; ')})` : ''}` });
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
        const nothingRuns = !templates.get(choice.name) || fitness(templates.get(choice.name) as Template) === 'unfit';
        report({
          status: nothingRuns ? 'fail' : choice.reason ? 'warn' : 'ok',
          text: `default /${kind} template: ${choice.name}${choice.reason ? ` (${choice.reason})` : ''}${nothingRuns ? `; /${kind} cannot work until a server has what it needs (the missing parts are listed above)` : ''}`,
        });
      }
      for (const [channel, defaults] of Object.entries(channels)) {
        const template = defaults.template ? templates.get(defaults.template) : undefined;
        // The bot falls back to the command's default there, so this is worth knowing rather than a failure.
        if (template && fitness(template) === 'unfit') report({ status: 'warn', text: `channels.${channel}.template ${template.name} runs on no server, so that channel gets the command's default; pick another, or give a server what it lacks (listed above)` });
      }
    }
  } catch (error) {
    say(false, (error as Error).message);
  }
}

function gib(bytes: number): string {
  return (bytes / 2 ** 30).toFixed(1);
}

/** The data folder takes files, the job ledger opens (and is migrated, as the bot would), and the disk has room. */
async function checkStorage(): Promise<void> {
  const read = readSettings(StorageSchema);
  const storage = read.ok ? read.config : StorageSchema.parse({});
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
