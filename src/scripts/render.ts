import { loadEnvFile } from '../env.js';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parseArgs } from 'node:util';
import { ComfyConfigSchema } from '../config.js';
import { loadConfigOrExit } from '../settings.js';
import { connectComfy, serverFromSettings } from '../comfy/connection.js';
import { downloadOutputs } from '../comfy/download.js';
import { ComfyError } from '../comfy/errors.js';
import { checkTemplateAgainstServer, formatProblems } from '../comfy/template-check.js';
import { imageParamOf, submitTemplate } from '../comfy/submit.js';
import { loadTemplates, ParamError, TemplateError } from '../comfy/templates.js';
import type { PromptProgress } from '../comfy/watcher.js';
import { templateDirs } from '../templates-registry.js';

const USAGE = 'usage: npm run render -- --template NAME [--set name=value]... --out DIR [--server URL] [--image PATH]';

class UsageError extends Error {}

function parseSets(sets: readonly string[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const set of sets) {
    const equals = set.indexOf('=');
    if (equals <= 0) throw new UsageError(`--set ${set} is not name=value`);
    values[set.slice(0, equals)] = set.slice(equals + 1);
  }
  return values;
}

function describe(progress: PromptProgress): string {
  switch (progress.phase) {
    case 'pending': return `waiting in ComfyUI's queue (position ${progress.position})`;
    case 'started': return 'started';
    case 'node': return `running node ${progress.node}`;
    case 'sampling': return `sampling ${progress.value}/${progress.max}`;
  }
}

async function main(): Promise<void> {
  loadEnvFile();
  const { values } = parseArgs({
    options: {
      template: { type: 'string' }, set: { type: 'string', multiple: true, default: [] }, out: { type: 'string' },
      server: { type: 'string' }, image: { type: 'string' }, templates: { type: 'string' },
    },
  });
  if (!values.template || !values.out) throw new UsageError(USAGE);
  const env = { ...process.env, ...(values.server ? { COMFYUI_URL: values.server } : {}), ...(values.templates ? { TEMPLATES_DIR: values.templates } : {}) };
  const config = loadConfigOrExit(ComfyConfigSchema, env);
  const templates = await loadTemplates(templateDirs(config.TEMPLATES_DIR));
  const template = templates.get(values.template);
  if (!template) throw new UsageError(`unknown template "${values.template}" (available: ${[...templates.keys()].join(', ')})`);
  const given: Record<string, unknown> = parseSets(values.set ?? []);
  const server = serverFromSettings(config.COMFYUI_URL[0] as string, config);
  const comfy = connectComfy(server, { clientId: `render-${randomUUID()}`, timeoutMs: config.COMFYUI_TIMEOUT_MS, fallbackPollIntervalMs: 500 });
  try {
    const objectInfo = await comfy.client.objectInfo();
    const problems = checkTemplateAgainstServer(template, objectInfo);
    if (problems.length > 0) throw new TemplateError(formatProblems(template, problems));
    let image: { bytes: Buffer; extension: string } | undefined;
    const imageParam = imageParamOf(template);
    if (imageParam && given[imageParam] === undefined) {
      if (!values.image) throw new UsageError(`template ${template.name} needs an input image: add --image PATH`);
      image = { bytes: await readFile(values.image), extension: (extname(values.image).slice(1) || 'png').toLowerCase() };
    }
    await comfy.socket.waitOpen(AbortSignal.timeout(5_000)).catch(() => process.stderr.write('websocket not open; following the job by polling\n'));
    let last = '';
    const submitted = await submitTemplate(comfy, objectInfo, template, given, {
      ...(image ? { image } : {}),
      subfolder: 'render',
      onProgress: (progress) => {
        const line = describe(progress);
        if (line !== last) process.stderr.write(`${line}\n`);
        last = line;
      },
    });
    for (const note of submitted.notes) process.stderr.write(`note: ${note}\n`);
    process.stderr.write(`${template.name}: ${JSON.stringify(submitted.values)}\n`);
    for (const reason of submitted.dropped) process.stderr.write(`warning: ComfyUI skipped part of the workflow: ${reason}\n`);
    const result = await submitted.result;
    const files = await downloadOutputs(comfy.client, result.promptId, result.outputs, values.out);
    for (const file of files) process.stdout.write(`${file}\n`);
    if (files.length === 0) {
      throw new ComfyError(submitted.dropped.length > 0
        ? `ComfyUI refused the part of the workflow that makes files: ${submitted.dropped.join('; ')}`
        : 'the workflow finished but produced no files');
    }
  } finally {
    await comfy.close();
  }
}

main().catch((error: unknown) => {
  const known = error instanceof UsageError || error instanceof ComfyError || error instanceof ParamError || error instanceof TemplateError;
  const message = known ? (error as Error).message : `unexpected error: ${String((error as Error)?.message ?? error)}`;
  process.stderr.write(`render failed: ${message}\n`);
  process.exit(1);
});
