import { WorkflowSchema, type Workflow } from '../comfy/schemas.js';
import type { ParamSpec, TemplateFile } from '../comfy/template-schema.js';
import type { JobKind } from '../jobs/job.js';
import { ImportError } from './read.js';

type Spec = ParamSpec;
type Node = Workflow[string];

const SAMPLERS = new Set(['KSampler', 'KSamplerAdvanced']);
const CHECKPOINTS = new Set(['CheckpointLoaderSimple', 'CheckpointLoader', 'ImageOnlyCheckpointLoader']);
const VIDEO_OUTPUTS = new Set(['SaveAnimatedWEBP', 'SaveAnimatedPNG', 'VHS_VideoCombine', 'SaveVideo', 'SaveWEBM']);

function linkOf(value: unknown): string | undefined {
  return Array.isArray(value) && typeof value[0] === 'string' ? value[0] : undefined;
}

const base = (node: string, input: string, description: string) => ({ node, input, also: [], description });

/**
 * Finds the parameters of an API-format workflow the way ComfyUI users lay them out: the text encoders feeding the
 * sampler's positive and negative, the sampler's seed, steps, cfg, sampler and scheduler, the empty latent's size
 * and batch, the checkpoint and LoRA loaders, and a LoadImage (whose presence, with the outputs, says what kind of
 * job it is). Returns the template and a line per parameter found.
 */
export function detectTemplate(raw: unknown, name: string): { template: TemplateFile; found: string[] } {
  const parsed = WorkflowSchema.safeParse(raw);
  if (!parsed.success) throw new ImportError('That file does not hold an API-format workflow (an object of nodes, each with a class_type and inputs).');
  const workflow = parsed.data;
  const entries = Object.entries(workflow);
  const find = (types: ReadonlySet<string>): Array<[string, Node]> => entries.filter(([, node]) => types.has(node.class_type));
  const params: Record<string, Spec> = {};
  const found: string[] = [];
  const add = (param: string, spec: Spec, what: string): void => {
    if (params[param]) return;
    params[param] = spec;
    found.push(`${param}: ${what} (node ${spec.node} ${spec.input})`);
  };

  const [sampler] = find(SAMPLERS);
  if (sampler) {
    const [id, node] = sampler;
    const text = (link: unknown): string | undefined => {
      const target = linkOf(link);
      return target && workflow[target]?.class_type === 'CLIPTextEncode' && typeof workflow[target]?.inputs['text'] === 'string' ? target : undefined;
    };
    const positive = text(node.inputs['positive']);
    const negative = text(node.inputs['negative']);
    if (positive) add('prompt', { ...base(positive, 'text', 'What to draw'), type: 'string', minLength: 1, maxLength: 4000 }, 'the text feeding the sampler\'s positive');
    if (negative) add('negative', { ...base(negative, 'text', 'What to avoid'), type: 'string', minLength: 0, maxLength: 4000 }, 'the text feeding the sampler\'s negative');
    const seedInput = 'seed' in node.inputs ? 'seed' : 'noise_seed' in node.inputs ? 'noise_seed' : undefined;
    if (seedInput) add('seed', { ...base(id, seedInput, 'Random when left out'), type: 'seed' }, `${node.class_type} ${seedInput}`);
    if (typeof node.inputs['steps'] === 'number') add('steps', { ...base(id, 'steps', 'Sampling steps'), type: 'int', min: 1, max: 150 }, `${node.class_type} steps`);
    if (typeof node.inputs['cfg'] === 'number') add('cfg', { ...base(id, 'cfg', 'How closely to follow the prompt'), type: 'float', min: 1, max: 30 }, `${node.class_type} cfg`);
    if (typeof node.inputs['sampler_name'] === 'string') add('sampler', { ...base(id, 'sampler_name', 'Sampler'), type: 'combo' }, `${node.class_type} sampler_name`);
    if (typeof node.inputs['scheduler'] === 'string') add('scheduler', { ...base(id, 'scheduler', 'Noise schedule'), type: 'combo' }, `${node.class_type} scheduler`);
  }
  for (const [id, node] of find(new Set(['EmptyLatentImage', 'EmptySD3LatentImage']))) {
    add('width', { ...base(id, 'width', 'Width in pixels'), type: 'int', min: 64, max: 2048, multipleOf: 8 }, `${node.class_type} width`);
    add('height', { ...base(id, 'height', 'Height in pixels'), type: 'int', min: 64, max: 2048, multipleOf: 8 }, `${node.class_type} height`);
    add('count', { ...base(id, 'batch_size', 'Pictures per job'), type: 'int', min: 1, max: 4 }, `${node.class_type} batch_size`);
  }
  const [checkpoint] = find(CHECKPOINTS);
  if (checkpoint) add('checkpoint', { ...base(checkpoint[0], 'ckpt_name', 'Model checkpoint'), type: 'combo' }, `${checkpoint[1].class_type} ckpt_name`);
  const [lora] = find(new Set(['LoraLoader']));
  if (lora) {
    add('lora', { ...base(lora[0], 'lora_name', 'LoRA'), type: 'combo' }, 'LoraLoader lora_name');
    add('lora_strength', { ...base(lora[0], 'strength_model', 'How strongly the LoRA applies'), also: [{ node: lora[0], input: 'strength_clip' }], type: 'float', min: -2, max: 2 }, 'LoraLoader strength_model and strength_clip');
  }
  const [image] = find(new Set(['LoadImage']));
  if (image) add('image', { ...base(image[0], 'image', 'The input picture'), type: 'image' }, 'LoadImage image');

  const masked = image !== undefined && entries.some(([, node]) => Object.values(node.inputs).some((value) => Array.isArray(value) && value[0] === image[0] && value[1] === 1));
  const video = find(VIDEO_OUTPUTS).length > 0;
  const command: JobKind = !image ? 'imagine' : video ? 'img2vid' : masked ? 'inpaint' : 'img2img';
  if (!params['prompt'] && command !== 'img2vid') found.push('no prompt found: no CLIPTextEncode feeds a KSampler\'s positive directly');
  return { template: { name, description: `Imported: ${name}`, command, workflow, params }, found };
}
