import { missingNodeSentence, listPreview } from './explain.js';
import type { NodeInfo, ObjectInfo } from './schemas.js';
import { withLoraSlots } from './lora.js';
import type { Template } from './templates.js';

export interface TemplateProblem {
  nodeId?: string;
  message: string;
  fix: string;
}

/** Allowed values of a combo input, in either the V1 `[[...], {}]` or the V3 `["COMBO", {options}]` form. */
export function comboOptions(info: NodeInfo | undefined, inputName: string): string[] | undefined {
  const spec = info?.input.required?.[inputName] ?? info?.input.optional?.[inputName];
  if (!Array.isArray(spec)) return undefined;
  const [kind, config] = spec;
  if (Array.isArray(kind)) return kind.map(String);
  if (kind === 'COMBO' && config && typeof config === 'object' && 'options' in config && Array.isArray(config.options)) {
    return config.options.map(String);
  }
  return undefined;
}

/** A combo parameter a job sets (checkpoint, sampler…): where in the workflow it goes, and the value asked for. */
export interface ComboChoice {
  name: string;
  value: string;
  classType: string;
  input: string;
}

/** The combo parameters among a job's values: what routing, refusals and "not installed" sentences all check. */
export function comboChoices(asked: Template, params: Readonly<Record<string, unknown>>): ComboChoice[] {
  const template = withLoraSlots(asked, params);
  return Object.entries(params).flatMap(([name, value]) => {
    const spec = template.params[name];
    const node = spec?.type === 'combo' ? template.workflow[spec.node] : undefined;
    return spec && node ? [{ name, value: String(value), classType: node.class_type, input: spec.input }] : [];
  });
}

/** Inputs whose value is an uploaded file checked by the node itself, not by its combo list. */
function isUploadInput(classType: string, inputName: string): boolean {
  return inputName === 'image' && /^LoadImage/.test(classType);
}

/** Checks a template against a live server's /object_info: node types installed, combo values offered. */
export function checkTemplateAgainstServer(template: Template, objectInfo: ObjectInfo): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  const mapped = new Set(Object.values(template.params).map((spec) => `${spec.node}/${spec.input}`));
  for (const [nodeId, node] of Object.entries(template.workflow)) {
    const info = objectInfo[node.class_type];
    if (!info) {
      problems.push({ nodeId, message: missingNodeSentence(node.class_type), fix: `install it on the server, or use a template without ${node.class_type}` });
      continue;
    }
    for (const [inputName, value] of Object.entries(node.inputs)) {
      if (typeof value !== 'string' || isUploadInput(node.class_type, inputName) || mapped.has(`${nodeId}/${inputName}`)) continue;
      const options = comboOptions(info, inputName);
      if (options && !options.includes(value)) {
        problems.push({
          nodeId,
          message: `${node.class_type} (node ${nodeId}) has ${inputName} "${value}", which this server does not offer (it has: ${listPreview(options)})`,
          fix: `change ${inputName} in ${template.source} to one of the listed values`,
        });
      }
    }
  }
  for (const [name, spec] of Object.entries(template.params)) {
    if (spec.type !== 'combo') continue;
    const node = template.workflow[spec.node];
    const options = node ? comboOptions(objectInfo[node.class_type], spec.input) : undefined;
    if (options && options.length === 0) {
      problems.push({ nodeId: spec.node, message: `the server has no ${name} to offer for ${spec.input}`, fix: `install one on the server (for a checkpoint: put a file in models/checkpoints)` });
    }
  }
  return problems;
}

export interface ResolvedDefaults {
  template: Template;
  /** What was substituted, e.g. `checkpoint: sd_xl_base_1.0.safetensors is not installed, using a.safetensors`. */
  notes: string[];
}

/** A combo left at its default resolves to a value the server has, when the configured one is missing there. */
export function resolveServerDefaults(template: Template, objectInfo: ObjectInfo): ResolvedDefaults {
  const notes: string[] = [];
  const params = { ...template.params };
  for (const [name, spec] of Object.entries(template.params)) {
    if (spec.type !== 'combo') continue;
    const node = template.workflow[spec.node];
    const options = node ? comboOptions(objectInfo[node.class_type], spec.input) : undefined;
    const configured = spec.default ?? node?.inputs[spec.input];
    if (!options || options.length === 0 || (typeof configured === 'string' && options.includes(configured))) continue;
    const chosen = options[0] as string;
    notes.push(`${name}: ${String(configured)} is not installed, using ${chosen}`);
    params[name] = { ...spec, default: chosen };
  }
  return { template: { ...template, params }, notes };
}

export function formatProblems(template: Template, problems: readonly TemplateProblem[]): string {
  return [`template ${template.name} (${template.source}) does not fit this server:`, ...problems.map((problem) => `  - ${problem.message}; ${problem.fix}`)].join('\n');
}
