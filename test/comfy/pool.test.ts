import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ComfyPool } from '../../src/comfy/pool.js';
import { parseServer } from '../../src/comfy/server.js';
import { loadTemplates, type Template } from '../../src/comfy/templates.js';
import { TemplateUnfitError } from '../../src/comfy/unfit.js';
import { templateDirs } from '../../src/templates-registry.js';
import type { ComfySim } from '../fakes/comfy/sim.js';
import { startSim } from '../helpers.js';

const sims: ComfySim[] = [];
let pool: ComfyPool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
  for (const sim of sims.splice(0)) await sim.stop();
});

async function poolOf(...options: Array<Parameters<typeof startSim>[0]>): Promise<{ pool: ComfyPool; templates: Map<string, Template> }> {
  for (const each of options) sims.push(await startSim(each));
  pool = new ComfyPool(sims.map((sim, index) => parseServer(`${sim.url}`, index === 0 ? { label: 'big GPU' } : {})), { clientId: `pool-${randomUUID()}`, maxInFlightPerServer: 1 });
  await pool.refreshCatalogs();
  return { pool, templates: await loadTemplates(templateDirs(undefined)) };
}

describe('ComfyPool', () => {
  it('reserves the server that has the model a job names, and says "busy" when that one is full', async () => {
    const { pool: servers, templates } = await poolOf({ checkpoints: ['a.safetensors'] }, { checkpoints: ['b.safetensors'] });
    const txt2img = templates.get('txt2img') as Template;
    const second = new URL(sims[1]?.url as string).host;
    expect(servers.reserve('j1', txt2img, { checkpoint: 'b.safetensors' })).toEqual({ kind: 'reserved', server: second });
    expect(servers.reserve('j2', txt2img, { checkpoint: 'b.safetensors' })).toEqual({ kind: 'busy' });
    servers.release('j1', second);
    expect(servers.reserve('j3', txt2img, { checkpoint: 'b.safetensors' })).toEqual({ kind: 'reserved', server: second });
  });

  it('keeps a pinned job on its own server, even when another has room', async () => {
    const { pool: servers, templates } = await poolOf({}, {});
    const txt2img = templates.get('txt2img') as Template;
    const name = new URL(sims[0]?.url as string).host;
    expect(servers.reserve('j1', txt2img, {}, name)).toEqual({ kind: 'reserved', server: name });
    expect(servers.reserve('j2', txt2img, {}, name)).toEqual({ kind: 'busy' });
  });

  it('names what no server has: a model, or a node with the pack that provides it', async () => {
    const { pool: servers, templates } = await poolOf({ checkpoints: ['a.safetensors'], videoHelperSuite: false });
    const refused = servers.reserve('j1', templates.get('txt2img') as Template, { checkpoint: 'zzz.safetensors' });
    expect(refused.kind === 'never' && refused.error).toBeInstanceOf(TemplateUnfitError);
    expect(refused.kind === 'never' && (refused.error as TemplateUnfitError).problems).toEqual(['checkpoint "zzz.safetensors" is not installed on any server (installed: a.safetensors)']);
    const vhs = templates.get('img2vid') as Template;
    expect(servers.fitness(vhs)).toBe('unfit');
    expect(servers.describeMissing(vhs)).toContain('node type VHS_VideoCombine is not installed — it comes from the ComfyUI-VideoHelperSuite custom nodes');
    expect(servers.fitness(templates.get('img2vid-core') as Template)).toBe('fits');
  });

  it('shows members labels, never addresses', async () => {
    const { pool: servers } = await poolOf({}, {});
    const [first, second] = servers.names;
    expect(servers.labelOf(first)).toBe('big GPU');
    expect(servers.labelOf(second)).toBe('server 2');
  });
});
