import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ObjectInfo } from '../../../src/comfy/schemas.js';

type Spec = [unknown, Record<string, unknown>?];

interface NodeDef {
  required: Record<string, Spec>;
  hidden?: Record<string, string>;
  optional?: Record<string, Spec>;
  output?: string[];
  outputNode?: boolean;
  category?: string;
  module?: string;
}

export interface CatalogueOptions {
  checkpoints: string[];
  videoCheckpoints: string[];
  loras: string[];
  inputFiles: () => string[];
  /** Install the ComfyUI-VideoHelperSuite node (VHS_VideoCombine). */
  videoHelperSuite: boolean;
}


const INT = (defaultValue: number, min: number, max: number, step = 1): Spec => ['INT', { default: defaultValue, min, max, step }];
const FLOAT = (defaultValue: number, min: number, max: number, step = 0.01): Spec => ['FLOAT', { default: defaultValue, min, max, step }];
const STRING = (defaultValue = '', multiline = false): Spec => ['STRING', { default: defaultValue, multiline }];
const BOOLEAN = (defaultValue: boolean): Spec => ['BOOLEAN', { default: defaultValue }];

/** What a real server with the ComfyUI-VideoHelperSuite custom nodes adds to its /object_info. */
const VIDEO_COMBINE: NodeDef = {
  required: {
    images: ['IMAGE'], frame_rate: FLOAT(8, 1, 1000), loop_count: INT(0, 0, 100), filename_prefix: STRING('AnimateDiff'),
    format: [['image/gif', 'image/webp', 'video/h264-mp4', 'video/webm'], {}], pingpong: BOOLEAN(false), save_output: BOOLEAN(true),
  },
  optional: { audio: ['AUDIO'] },
  outputNode: true, category: 'Video Helper Suite 🎥🅥🅗🅢', module: 'custom_nodes.ComfyUI-VideoHelperSuite',
};

/** The whole /object_info a real ComfyUI v0.3.65 answered (372 nodes, display_name null on 107 of them). */
const REAL = (JSON.parse(readFileSync(fileURLToPath(new URL('../../fixtures/comfyui-captures/object_info_full.json', import.meta.url)), 'utf8')) as { response: { body: Record<string, Record<string, unknown>> } }).response.body;

function withCombo(node: Record<string, unknown> | undefined, input: string, values: readonly string[]): Record<string, unknown> | undefined {
  if (!node) return undefined;
  const inputs = node['input'] as { required: Record<string, [unknown, unknown?]> };
  const [, config] = inputs.required[input] ?? [];
  return { ...node, input: { ...inputs, required: { ...inputs.required, [input]: [[...values], config ?? {}] } } };
}

const baseCache = new Map<string, Record<string, unknown>>();

/**
 * The simulator's /object_info is the real server's, with what a GPU box adds: checkpoints in the model lists,
 * the uploaded files in LoadImage's list, and (when installed) the VideoHelperSuite node. Real samplers and
 * schedulers are kept as the real server lists them.
 */
export function buildObjectInfo(options: CatalogueOptions): ObjectInfo {
  const key = JSON.stringify([options.checkpoints, options.videoCheckpoints, options.loras, options.videoHelperSuite]);
  let base = baseCache.get(key);
  if (!base) {
    base = { ...REAL };
    base['CheckpointLoaderSimple'] = withCombo(REAL['CheckpointLoaderSimple'], 'ckpt_name', options.checkpoints);
    base['ImageOnlyCheckpointLoader'] = withCombo(REAL['ImageOnlyCheckpointLoader'], 'ckpt_name', options.videoCheckpoints);
    base['LoraLoader'] = withCombo(REAL['LoraLoader'], 'lora_name', options.loras);
    if (options.videoHelperSuite) base['VHS_VideoCombine'] = describe('VHS_VideoCombine', VIDEO_COMBINE);
    baseCache.set(key, base);
  }
  const info: Record<string, unknown> = { ...base, LoadImage: withCombo(REAL['LoadImage'], 'image', options.inputFiles()) };
  return info as ObjectInfo;
}

function describe(name: string, def: NodeDef): Record<string, unknown> {
  const output = def.output ?? [];
  return {
    input: { required: def.required, ...(def.optional ? { optional: def.optional } : {}), ...(def.hidden ? { hidden: def.hidden } : {}) },
    input_order: {
      required: Object.keys(def.required),
      ...(def.optional ? { optional: Object.keys(def.optional) } : {}),
      ...(def.hidden ? { hidden: Object.keys(def.hidden) } : {}),
    },
    output, output_is_list: output.map(() => false), output_name: output, name, display_name: name,
    description: '', python_module: def.module ?? 'nodes', category: def.category ?? 'misc', output_node: def.outputNode ?? false,
  };
}
