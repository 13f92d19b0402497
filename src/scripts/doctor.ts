import { randomUUID } from 'node:crypto';
import { ComfyConfigSchema, configuredDefaults, loadConfigOrExit } from '../config.js';
import { ComfyClient } from '../comfy/client.js';
import { serverFromSettings } from '../comfy/connection.js';
import { checkTemplateAgainstServer, resolveServerDefaults } from '../comfy/template-check.js';
import { loadTemplates, type Template } from '../comfy/templates.js';
import { chooseDefault } from '../comfy/defaults.js';
import { previewSupport } from '../comfy/previews.js';
import type { ObjectInfo } from '../comfy/schemas.js';
import { loadEnvFile } from '../env.js';
import { templateDirs } from '../templates-registry.js';

/** `npm run doctor`: is each ComfyUI server reachable, and does every template fit it? Exit 1 if not. */
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
process.exit(healthy ? 0 : 1);
