import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseObjectInfo } from '../../src/comfy/schemas.js';
import { checkTemplateAgainstServer, comboOptions } from '../../src/comfy/template-check.js';
import { loadTemplates } from '../../src/comfy/templates.js';
import { templateDirs } from '../../src/templates-registry.js';

const CAPTURE = fileURLToPath(new URL('../fixtures/comfyui-captures/object_info_full.json', import.meta.url));
const raw = (JSON.parse(readFileSync(CAPTURE, 'utf8')) as { response: { body: Record<string, unknown> } }).response.body;

describe('the whole /object_info of a real ComfyUI v0.3.65', () => {
  const { info, skipped } = parseObjectInfo(raw);

  it('parses every one of its 372 nodes, display_name null and all', () => {
    expect(Object.keys(raw)).toHaveLength(372);
    expect(Object.values(raw).filter((node) => (node as { display_name: unknown }).display_name === null).length).toBe(107);
    expect(skipped).toEqual([]);
    expect(Object.keys(info)).toHaveLength(372);
    expect(info['ImageBlur']?.input.required).toHaveProperty('blur_radius');
  });

  it('reads combos in the V1 list form and the V3 COMBO form', () => {
    expect(comboOptions(info['KSampler'], 'sampler_name')).toContain('euler');
    expect(comboOptions(info['KSampler'], 'scheduler')).toContain('karras');
    expect(comboOptions(info['LatentCut'], 'dim')).toEqual(['x', 'y', 't']);
    // Model folders are empty on a server without models: an empty list, not "no such input".
    expect(comboOptions(info['CheckpointLoaderSimple'], 'ckpt_name')).toEqual([]);
    expect(info['SaveImage']?.output_node).toBe(true);
    expect(info['PreviewAny']?.output_node).toBe(true);
  });

  it('finds every core node the shipped templates need, and names what is missing', async () => {
    const templates = await loadTemplates(templateDirs(undefined));
    const core = templates.get('img2vid-core');
    expect(core && checkTemplateAgainstServer(core, info).map((problem) => problem.message)).toEqual(['the server has no checkpoint to offer for ckpt_name']);
    const vhs = templates.get('img2vid');
    expect(vhs && checkTemplateAgainstServer(vhs, info).map((problem) => problem.message)).toContain('node type VHS_VideoCombine is not installed — it comes from the ComfyUI-VideoHelperSuite custom nodes');
  });

  it('skips one unreadable node with its name instead of refusing the whole answer', () => {
    const { info: parsed, skipped: odd } = parseObjectInfo({ ...raw, BrokenNode: 'not an object', WeirdInputs: { input: 'nope', output: null, output_node: 'yes' } });
    expect(odd).toEqual(['BrokenNode']);
    expect(parsed['WeirdInputs']).toEqual({ input: {}, output: [], output_node: false });
    expect(Object.keys(parsed)).toHaveLength(373);
  });
});
