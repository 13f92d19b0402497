import type { NodeInfo, ObjectInfo } from '../../../src/comfy/schemas.js';

export type SimWorkflow = Record<string, { class_type?: unknown; inputs?: Record<string, unknown>; _meta?: unknown }>;

interface ErrorItem {
  type: string;
  message: string;
  details: string;
  extra_info: Record<string, unknown>;
}

export interface ValidationResult {
  status: 200 | 400;
  body: Record<string, unknown>;
  /** Output node ids that passed validation (what the prompt will execute). */
  outputs: string[];
}

export interface ValidateOptions {
  /** `v0.3.64` answers `invalid_prompt`; `newest` answers `missing_node_type`; `legacy` uses pre-2025-04 shapes. */
  errorStyle: 'v0.3.64' | 'newest' | 'legacy';
  inputFileExists: (name: string) => boolean;
}

const topError = (type: string, message: string, details = '', extra: Record<string, unknown> = {}) => ({ type, message, details, extra_info: extra });

function earlyFailure(options: ValidateOptions, error: ReturnType<typeof topError>): ValidationResult {
  return { status: 400, body: { error, node_errors: options.errorStyle === 'legacy' ? [] : {} }, outputs: [] };
}

function isLink(value: unknown): value is [string, number] {
  return Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && Number.isInteger(value[1]);
}

function pyRepr(values: readonly unknown[]): string {
  return `[${values.map((value) => `'${String(value)}'`).join(', ')}]`;
}

/** Coerces a widget value the way ComfyUI's validate_inputs does; returns an error item or the coerced value. */
function checkLiteral(inputName: string, spec: unknown[], value: unknown): { value: unknown } | { error: ErrorItem } {
  const [rawKind, rawConfig] = spec;
  const config = (rawConfig ?? {}) as Record<string, unknown>;
  // V3 nodes describe a combo as ['COMBO', {options}]; V1 as [[...values], {...}].
  const kind = rawKind === 'COMBO' && Array.isArray(config['options']) ? config['options'] : rawKind;
  if (Array.isArray(kind)) {
    if (kind.includes(value)) return { value };
    const long = kind.length > 20;
    return {
      error: {
        type: 'value_not_in_list', message: 'Value not in list',
        details: `${inputName}: '${String(value)}' not in ${long ? `(list of length ${kind.length})` : pyRepr(kind)}`,
        extra_info: { input_name: inputName, input_config: long ? null : spec, received_value: value },
      },
    };
  }
  if (kind === 'INT' || kind === 'FLOAT') {
    const number = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
    if (!Number.isFinite(number) || (kind === 'INT' && !Number.isInteger(number))) {
      const literal = kind === 'INT' ? `invalid literal for int() with base 10: '${String(value)}'` : `could not convert string to float: '${String(value)}'`;
      return {
        error: {
          type: 'invalid_input_type', message: `Failed to convert an input value to a ${kind} value`,
          details: `${inputName}, ${String(value)}, ${literal}`,
          extra_info: { input_name: inputName, input_config: spec, received_value: value, exception_message: literal },
        },
      };
    }
    // Python prints a float with its point: "Value 3.0 bigger than max of 1.0".
    const shown = (value: number): string => (kind === 'FLOAT' && Number.isInteger(value) ? value.toFixed(1) : String(value));
    if (typeof config['min'] === 'number' && number < config['min']) {
      return { error: { type: 'value_smaller_than_min', message: `Value ${shown(number)} smaller than min of ${shown(config['min'])}`, details: inputName, extra_info: { input_name: inputName, input_config: spec, received_value: value } } };
    }
    if (typeof config['max'] === 'number' && number > config['max']) {
      return { error: { type: 'value_bigger_than_max', message: `Value ${shown(number)} bigger than max of ${shown(config['max'])}`, details: inputName, extra_info: { input_name: inputName, input_config: spec, received_value: value } } };
    }
    return { value: number };
  }
  if (kind === 'STRING') return { value: String(value) };
  if (kind === 'BOOLEAN') return { value: Boolean(value) };
  return { value };
}

class Validator {
  private readonly verdicts = new Map<string, boolean>();
  readonly nodeErrors = new Map<string, ErrorItem[]>();

  constructor(private readonly prompt: SimWorkflow, private readonly info: ObjectInfo, private readonly options: ValidateOptions) {}

  /** True when the node and everything upstream is valid; records only a node's own errors. */
  validate(nodeId: string): boolean {
    const known = this.verdicts.get(nodeId);
    if (known !== undefined) return known;
    this.verdicts.set(nodeId, true);
    const node = this.prompt[nodeId];
    const nodeInfo = this.info[String(node?.class_type)] as NodeInfo;
    const inputs = node?.inputs ?? {};
    const errors: ErrorItem[] = [];
    let valid = true;
    const specs = { ...(nodeInfo.input.required ?? {}) };
    for (const [inputName, rawSpec] of Object.entries({ ...specs, ...(nodeInfo.input.optional ?? {}) })) {
      const spec: unknown[] = Array.isArray(rawSpec) ? rawSpec : [rawSpec];
      const value = inputs[inputName];
      if (value === undefined) {
        if (inputName in specs) errors.push({ type: 'required_input_missing', message: 'Required input is missing', details: inputName, extra_info: { input_name: inputName } });
        continue;
      }
      if (isLink(value)) {
        const [sourceId, slot] = value;
        const source = this.prompt[sourceId];
        if (!source) {
          errors.push({ type: 'exception_during_validation', message: 'Exception when validating node', details: `'${sourceId}'`, extra_info: { exception_type: 'KeyError', traceback: ['  File "/srv/comfy/ComfyUI/execution.py", line 788, in validate_inputs\n    o_class_type = prompt[o_id][\'class_type\']\n'] } });
          continue;
        }
        const sourceInfo = this.info[String(source.class_type)];
        const receivedType = sourceInfo?.output[slot];
        if (receivedType !== undefined && receivedType !== spec[0] && !Array.isArray(spec[0]) && spec[0] !== '*') {
          errors.push({
            type: 'return_type_mismatch', message: 'Return type mismatch between linked nodes',
            details: `${inputName}, received_type(${String(receivedType)}) mismatch input_type(${String(spec[0])})`,
            extra_info: { input_name: inputName, input_config: spec, received_type: receivedType, linked_node: value },
          });
          continue;
        }
        if (!this.validate(sourceId)) valid = false;
        continue;
      }
      if (node?.class_type === 'LoadImage' && inputName === 'image') {
        if (typeof value !== 'string' || !this.options.inputFileExists(value)) {
          errors.push({ type: 'custom_validation_failed', message: 'Custom validation failed for node', details: `image - Invalid image file: ${String(value)}`, extra_info: { input_name: 'image' } });
        }
        continue;
      }
      const checked = checkLiteral(inputName, spec, value);
      if ('error' in checked) errors.push(checked.error);
      else inputs[inputName] = checked.value; // ComfyUI stores the coerced value.
    }
    if (errors.length > 0) {
      this.nodeErrors.set(nodeId, errors);
      valid = false;
    }
    this.verdicts.set(nodeId, valid);
    return valid;
  }

  dependsOn(outputId: string, nodeId: string, seen = new Set<string>()): boolean {
    if (outputId === nodeId) return true;
    if (seen.has(outputId)) return false;
    seen.add(outputId);
    return Object.values(this.prompt[outputId]?.inputs ?? {}).some((value) => isLink(value) && this.dependsOn(value[0], nodeId, seen));
  }
}

/** ComfyUI's validate_prompt, with the same error bodies (see comfyui-api.md §2.3 and the captures). */
export function validatePrompt(prompt: SimWorkflow, info: ObjectInfo, options: ValidateOptions): ValidationResult {
  for (const [nodeId, node] of Object.entries(prompt)) {
    if (!node || typeof node !== 'object' || node.class_type === undefined) {
      return options.errorStyle === 'newest'
        ? earlyFailure(options, topError('missing_node_type', `Node 'ID #${nodeId}' has no class_type. The workflow may be corrupted or a custom node is missing.`, `Node ID '#${nodeId}'`, { node_id: nodeId, class_type: null, node_title: `ID #${nodeId}` }))
        : earlyFailure(options, topError('invalid_prompt', 'Cannot execute because a node is missing the class_type property.', `Node ID '#${nodeId}'`));
    }
    const classType = String(node.class_type);
    if (!info[classType]) {
      const title = (node._meta as { title?: string } | undefined)?.title ?? classType;
      return options.errorStyle === 'newest'
        ? earlyFailure(options, topError('missing_node_type', `Node '${title}' not found. The custom node may not be installed.`, `Node ID '#${nodeId}'`, { node_id: nodeId, class_type: classType, node_title: title }))
        : earlyFailure(options, topError('invalid_prompt', `Cannot execute because node ${classType} does not exist.`, `Node ID '#${nodeId}'`));
    }
  }
  const outputIds = Object.keys(prompt).filter((id) => info[String(prompt[id]?.class_type)]?.output_node);
  if (outputIds.length === 0) return earlyFailure(options, topError('prompt_no_outputs', 'Prompt has no outputs'));
  const validator = new Validator(prompt, info, options);
  const good = outputIds.filter((id) => validator.validate(id));
  const nodeErrors: Record<string, unknown> = {};
  for (const [nodeId, errors] of validator.nodeErrors) {
    nodeErrors[nodeId] = { errors, dependent_outputs: outputIds.filter((out) => validator.dependsOn(out, nodeId)), class_type: String(prompt[nodeId]?.class_type) };
  }
  if (good.length > 0) return { status: 200, body: { node_errors: nodeErrors }, outputs: good };
  const details = outputIds.flatMap((id) => (validator.nodeErrors.get(id) ?? []).map((error) => `${error.message}: ${error.details}`)).join('\n');
  return { status: 400, body: { error: topError('prompt_outputs_failed_validation', 'Prompt outputs failed validation', details), node_errors: nodeErrors }, outputs: [] };
}
