import type { NodeErrorItem, NodeErrors, PromptErrorBody } from './schemas.js';

/** Where popular custom node types come from, so "not installed" can say what to install. */
const CUSTOM_NODE_PACKS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^VHS_/, 'ComfyUI-VideoHelperSuite'],
  [/^ADE_/, 'ComfyUI-AnimateDiff-Evolved'],
  [/IPAdapter/, 'ComfyUI_IPAdapter_plus'],
  [/^UltimateSDUpscale/, 'ComfyUI_UltimateSDUpscale'],
  [/^(Impact|SAM|UltralyticsDetector)/, 'ComfyUI-Impact-Pack'],
  [/^ControlNetPreprocessor|Preprocessor$/, 'comfyui_controlnet_aux'],
];

const FRIENDLY_INPUT_NAMES: Readonly<Record<string, string>> = {
  ckpt_name: 'checkpoint',
  sampler_name: 'sampler',
  scheduler: 'scheduler',
  lora_name: 'LoRA',
  vae_name: 'VAE',
  unet_name: 'diffusion model',
  clip_name: 'text encoder',
  control_net_name: 'ControlNet',
  upscale_model_name: 'upscale model',
};

const MODEL_INPUTS = new Set(['ckpt_name', 'lora_name', 'vae_name', 'unet_name', 'clip_name', 'control_net_name', 'upscale_model_name']);

export function missingNodeSentence(classType: string): string {
  const pack = CUSTOM_NODE_PACKS.find(([pattern]) => pattern.test(classType))?.[1];
  return pack
    ? `node type ${classType} is not installed — it comes from the ${pack} custom nodes`
    : `node type ${classType} is not installed on this server`;
}

export function listPreview(values: readonly unknown[], max = 8): string {
  if (values.length === 0) return 'none installed';
  const shown = values.slice(0, max).map(String).join(', ');
  return values.length > max ? `${shown} and ${values.length - max} more` : shown;
}

function optionsOf(item: NodeErrorItem): unknown[] | undefined {
  const config = item.extra_info['input_config'];
  if (Array.isArray(config) && Array.isArray(config[0])) return config[0];
  return undefined;
}

function nodeErrorSentence(nodeId: string, classType: string, item: NodeErrorItem): string {
  const inputName = typeof item.extra_info['input_name'] === 'string' ? item.extra_info['input_name'] : item.details.split(/[:,]/)[0] ?? '';
  const friendly = FRIENDLY_INPUT_NAMES[inputName] ?? inputName;
  const where = `${classType} (node ${nodeId})`;
  switch (item.type) {
    case 'value_not_in_list': {
      const received = item.extra_info['received_value'];
      const options = optionsOf(item);
      const label = MODEL_INPUTS.has(inputName) ? 'installed' : 'options';
      const list = !options ? '' : options.length === 0 ? ` (none ${label})` : ` (${label}: ${listPreview(options)})`;
      return MODEL_INPUTS.has(inputName)
        ? `${friendly} "${String(received)}" is not installed on this server${list}`
        : `${friendly} "${String(received)}" is not one this server offers${list}`;
    }
    case 'custom_validation_failed':
      return /Invalid image file/.test(item.details)
        ? `the input image ${item.details.replace(/^.*Invalid image file:\s*/, '')} is not on the server (upload it first)`
        : `${where} refused its inputs: ${item.details || item.message}`;
    case 'required_input_missing':
      return `${where} is missing its required input "${inputName}"`;
    case 'value_smaller_than_min':
    case 'value_bigger_than_max':
    case 'invalid_input_type':
      return `${friendly} on ${where}: ${item.message}`;
    case 'return_type_mismatch':
    case 'bad_linked_input':
      return `${where} is wired wrongly at input "${inputName}": ${item.message}`;
    case 'exception_during_validation':
      return `${where} links to a node that is not in the workflow (${item.details})`;
    default:
      return `${where}: ${item.message}${item.details ? ` (${item.details})` : ''}`;
  }
}

function topLevelSentence(type: string, message: string, details: string, extra: Record<string, unknown>): string {
  const classFromExtra = typeof extra['class_type'] === 'string' ? extra['class_type'] : undefined;
  const classFromMessage = /node (\S+) does not exist/.exec(message)?.[1];
  const missing = classFromExtra ?? classFromMessage;
  if ((type === 'invalid_prompt' || type === 'missing_node_type') && missing) return missingNodeSentence(missing);
  switch (type) {
    case 'invalid_prompt':
    case 'missing_node_type':
      return `the workflow is broken: ${message}${details ? ` (${details})` : ''}`;
    case 'prompt_no_outputs':
      return 'the workflow has no output node (such as SaveImage), so ComfyUI has nothing to run';
    case 'no_prompt':
      return 'the request carried no workflow';
    case 'invalid_prompt_id':
      return 'the server refused our prompt id';
    default:
      return `${message}${details ? `: ${details}` : ''}`;
  }
}

/** Sentences for per-node errors: a 400's, or those of the outputs a 200 answer dropped. */
export function explainNodeErrors(nodeErrors: NodeErrors): string[] {
  return Object.entries(nodeErrors).flatMap(([nodeId, nodeError]) => nodeError.errors.map((item) => nodeErrorSentence(nodeId, nodeError.class_type, item)));
}

/** Turns ComfyUI's 400 body (old or new shape) into plain sentences a Discord member understands. */
export function explainPromptError(body: PromptErrorBody): string[] {
  const sentences: string[] = [];
  for (const [nodeId, nodeError] of Object.entries(body.node_errors)) {
    for (const item of nodeError.errors) sentences.push(nodeErrorSentence(nodeId, nodeError.class_type, item));
  }
  if (sentences.length > 0) return sentences;
  if (typeof body.error === 'string') return [body.error === 'no prompt' ? 'the request carried no workflow' : body.error];
  return [topLevelSentence(body.error.type, body.error.message, body.error.details, body.error.extra_info)];
}
