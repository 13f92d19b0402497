import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { explainPromptError } from '../../src/comfy/explain.js';
import { PromptErrorBodySchema } from '../../src/comfy/schemas.js';

const CAPTURES = fileURLToPath(new URL('../fixtures/comfyui-captures/', import.meta.url));

function explainCaptured(name: string): string[] {
  const file = JSON.parse(readFileSync(`${CAPTURES}${name}.json`, 'utf8')) as { response: { body: unknown } };
  return explainPromptError(PromptErrorBodySchema.parse(file.response.body));
}

describe('explainPromptError on real error bodies', () => {
  it.each([
    ['prompt_error_model_missing', ['checkpoint "sd_xl_base_1.0.safetensors" is not installed on this server (none installed)']],
    ['prompt_error_unknown_class', ['node type NoSuchNode is not installed on this server']],
    ['prompt_error_no_outputs', ['the workflow has no output node (such as SaveImage), so ComfyUI has nothing to run']],
    ['prompt_error_no_prompt', ['the request carried no workflow']],
    ['prompt_error_missing_input', ['SaveImage (node 2) is missing its required input "images"']],
    ['prompt_error_value_below_min', ['width on EmptyImage (node 1): Value 0 smaller than min of 1']],
    ['prompt_error_bad_type', ['width on EmptyImage (node 1): Failed to convert an input value to a INT value']],
    ['prompt_error_bad_link', ["SaveImage (node 2) links to a node that is not in the workflow ('99')"]],
    ['prompt_error_value_not_in_list', [
      'the input image no_such_file.png is not on the server (upload it first)',
      'upscale_method "magic" is not one this server offers (options: nearest-exact, bilinear, area, bicubic, lanczos)',
    ]],
  ])('%s', (name, sentences) => {
    expect(explainCaptured(name)).toEqual(sentences);
  });

  it('reads the NEWEST missing_node_type shape and the old node_errors: [] shape', () => {
    const newest = PromptErrorBodySchema.parse({ error: { type: 'missing_node_type', message: "Node 'Video' not found.", details: "Node ID '#24'", extra_info: { node_id: '24', class_type: 'VHS_VideoCombine', node_title: 'Video' } }, node_errors: {} });
    expect(explainPromptError(newest)).toEqual(['node type VHS_VideoCombine is not installed — it comes from the ComfyUI-VideoHelperSuite custom nodes']);
    const old = PromptErrorBodySchema.parse({ error: { type: 'prompt_no_outputs', message: 'Prompt has no outputs', details: '', extra_info: {} }, node_errors: [] });
    expect(explainPromptError(old)).toEqual(['the workflow has no output node (such as SaveImage), so ComfyUI has nothing to run']);
  });

  it('shortens long model lists', () => {
    const options = Array.from({ length: 12 }, (_, index) => `model${index}.safetensors`);
    const body = PromptErrorBodySchema.parse({
      error: { type: 'prompt_outputs_failed_validation', message: 'Prompt outputs failed validation', details: '', extra_info: {} },
      node_errors: { '4': { class_type: 'CheckpointLoaderSimple', dependent_outputs: ['9'], errors: [{ type: 'value_not_in_list', message: 'Value not in list', details: '', extra_info: { input_name: 'ckpt_name', input_config: [options, {}], received_value: 'x.safetensors' } }] } },
    });
    expect(explainPromptError(body)).toEqual([`checkpoint "x.safetensors" is not installed on this server (installed: ${options.slice(0, 8).join(', ')} and 4 more)`]);
  });
});
