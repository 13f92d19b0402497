import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { makeJpeg } from './media.js';
import { writeOutputs, type MediaOptions } from './outputs.js';
import { inputFileKey, type PromptRecord, type QueueEntry, type SimState, type UiOutput } from './state.js';
import type { SimWorkflow } from './validate.js';

export interface NodeFailure {
  classType?: string;
  nodeId?: string;
  exceptionType?: string;
  message?: string;
  /** How many prompts it hits before clearing itself; unlimited when omitted. */
  times?: number;
}

export interface ExecutorOptions {
  runMs: number;
  steps: number | undefined;
  previews: boolean;
  perPromptPreviews: boolean;
  media: MediaOptions;
  historyDelayMs: number;
  /** Delay between the last `executed` and `execution_success` (a real GPU server: up to 220 ms). */
  successDelayMs: number;
}

export interface ExecutorDeps {
  state: SimState;
  options: () => ExecutorOptions;
  failure: () => NodeFailure | undefined;
  consumeFailure: () => void;
  send: (type: string, data: Record<string, unknown>, sid: string | undefined) => void;
  /** A preview picture of `promptId`'s node to the client `sid` (type 1, or type 4 with metadata when it asked). */
  sendPreview: (image: Buffer, sid: string | undefined, meta: { promptId: string; nodeId: string }) => void;
  broadcastStatus: () => void;
  record: (promptId: string) => PromptRecord | undefined;
  onFinish: (promptId: string) => void;
  now: () => number;
}

const SAMPLERS = new Set(['KSampler', 'KSamplerAdvanced', 'SamplerCustom']);

function isLink(value: unknown): value is [string, number] {
  return Array.isArray(value) && value.length === 2 && typeof value[0] === 'string';
}

/** Nodes needed by the outputs, dependencies first (ComfyUI's order is topological, not otherwise fixed). */
function executionOrder(prompt: SimWorkflow, outputs: readonly string[]): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (id: string): void => {
    if (seen.has(id)) return;
    seen.add(id);
    for (const value of Object.values(prompt[id]?.inputs ?? {})) if (isLink(value) && prompt[value[0]]) visit(value[0]);
    order.push(id);
  };
  for (const id of outputs) visit(id);
  return order;
}

/**
 * The order ComfyUI runs the needed nodes in (its ExecutionList's `ux_friendly_pick_node`): among the nodes whose
 * inputs are ready, an output node first, then one that feeds an output, then one two steps from an output,
 * else the first ready one.
 */
function runOrder(prompt: SimWorkflow, outputs: readonly string[]): string[] {
  const needed = executionOrder(prompt, outputs);
  const inputsOf = (id: string): string[] => Object.values(prompt[id]?.inputs ?? {}).filter(isLink).map((link) => link[0]).filter((source) => needed.includes(source));
  const blocking = (id: string): string[] => needed.filter((other) => inputsOf(other).includes(id));
  const isOutput = (id: string): boolean => outputs.includes(id);
  const done = new Set<string>();
  const order: string[] = [];
  while (order.length < needed.length) {
    const ready = needed.filter((id) => !done.has(id) && inputsOf(id).every((source) => done.has(source)));
    const pick = ready.find(isOutput)
      ?? ready.find((id) => blocking(id).some(isOutput))
      ?? ready.find((id) => blocking(id).some((next) => blocking(next).some(isOutput)))
      ?? (ready[0] as string);
    order.push(pick);
    done.add(pick);
  }
  return order;
}

/** A node's cache key: its class, its literal inputs and its upstream keys (ComfyUI's input signature). */
function signatures(prompt: SimWorkflow, order: readonly string[], state: SimState): Map<string, string> {
  const result = new Map<string, string>();
  for (const id of order) {
    const node = prompt[id];
    const parts = Object.entries(node?.inputs ?? {}).map(([key, value]) => [key, isLink(value) ? `link:${result.get(value[0])}:${value[1]}` : value]);
    const image = node?.class_type === 'LoadImage' ? state.files.get(inputFileKey(String(node.inputs?.['image']))) : undefined;
    const hash = createHash('sha1').update(JSON.stringify([node?.class_type, parts, image ? createHash('sha1').update(image).digest('hex') : null]));
    result.set(id, hash.digest('hex'));
  }
  return result;
}

/** Runs one prompt at a time, sending websocket events in ComfyUI's order (comfyui-api.md §13). */
export class Executor {
  private busy = false;
  private interruptFlag = false;
  private generation = 0;

  constructor(private readonly deps: ExecutorDeps) {}

  /** Starts the next prompt if idle. The start happens synchronously, so events can precede the HTTP answer. */
  kick(): void {
    if (this.busy) return;
    const entry = this.deps.state.takeNext();
    if (!entry) return;
    this.busy = true;
    this.interruptFlag = false;
    const generation = this.generation;
    void this.run(entry, generation).finally(() => {
      if (generation !== this.generation) return;
      this.busy = false;
      this.kick();
    });
  }

  interrupt(promptId: string | undefined): void {
    const running = this.deps.state.running;
    if (!running) return;
    if (promptId === undefined || promptId === running.promptId) this.interruptFlag = true;
  }

  /** A restart: whatever was running is abandoned without a trace. */
  reset(): void {
    this.generation++;
    this.busy = false;
    this.interruptFlag = false;
  }

  private async run(entry: QueueEntry, generation: number): Promise<void> {
    const { state, send, now } = this.deps;
    const alive = (): boolean => generation === this.generation;
    const sid = typeof entry.extraData['client_id'] === 'string' ? entry.extraData['client_id'] : undefined;
    const toClient = (type: string, data: Record<string, unknown>): void => { if (sid) send(type, data, sid); };
    const promptId = entry.promptId;
    const options = this.deps.options();
    state.running = entry;
    this.deps.broadcastStatus();
    const record = this.deps.record(promptId);
    if (record) record.startedAt = now();
    const messages: Array<[string, Record<string, unknown>]> = [];
    const log = (type: string, data: Record<string, unknown>): void => { messages.push([type, data]); toClient(type, data); };
    log('execution_start', { prompt_id: promptId, timestamp: Date.now() });
    const order = runOrder(entry.prompt, entry.outputs);
    const keys = signatures(entry.prompt, order, state);
    const cached = order.filter((id) => state.cache.has(keys.get(id) as string));
    log('execution_cached', { nodes: cached, prompt_id: promptId, timestamp: Date.now() });
    const toRun = order.filter((id) => !cached.includes(id));
    const samplerCount = toRun.filter((id) => SAMPLERS.has(String(entry.prompt[id]?.class_type))).length;
    const otherMs = samplerCount > 0 ? options.runMs * 0.2 : options.runMs;
    const perOther = toRun.length - samplerCount > 0 ? otherMs / (toRun.length - samplerCount) : 0;
    const outputs: Record<string, UiOutput> = {};
    const executed: string[] = [];
    const nodeStates: Record<string, Record<string, unknown>> = {};
    const progressState = (id: string, value: number, max: number, stateName: 'running' | 'finished'): void => {
      nodeStates[id] = { value, max, state: stateName, node_id: id, prompt_id: promptId, display_node_id: id, parent_node_id: null, real_node_id: id };
      this.deps.send('progress_state', { prompt_id: promptId, nodes: structuredClone(nodeStates) }, sid);
    };
    for (const id of order) {
      if (!alive()) return;
      const classType = String(entry.prompt[id]?.class_type);
      const key = keys.get(id) as string;
      if (cached.includes(id)) {
        const ui = state.cache.get(key);
        if (entry.outputs.includes(id) && ui !== undefined) {
          if (ui) outputs[id] = ui;
          toClient('executed', { node: id, display_node: id, output: ui, prompt_id: promptId });
        }
        continue;
      }
      if (this.interruptFlag) return this.finish(entry, messages, outputs, generation, ['execution_interrupted', { prompt_id: promptId, node_id: id, node_type: classType, executed, timestamp: Date.now() }]);
      progressState(id, 0, 1, 'running');
      toClient('executing', { node: id, display_node: id, prompt_id: promptId });
      if (SAMPLERS.has(classType)) {
        const steps = options.steps ?? Number(entry.prompt[id]?.inputs?.['steps'] ?? 20);
        const perStep = (options.runMs * 0.8) / samplerCount / Math.max(1, steps);
        for (let step = 1; step <= steps; step++) {
          if (perStep > 0) await delay(perStep);
          if (!alive()) return;
          if (this.interruptFlag) return this.finish(entry, messages, outputs, generation, ['execution_interrupted', { prompt_id: promptId, node_id: id, node_type: classType, executed, timestamp: Date.now() }]);
          this.progress(sid, { value: step, max: steps, prompt_id: promptId, node: id });
          // Started with --preview-method, or (ComfyUI v0.5+) asked for per prompt; `none` turns them off.
          const method = entry.extraData['preview_method'];
          const asked = options.perPromptPreviews && typeof method === 'string' && method !== '';
          if ((options.perPromptPreviews ? method !== 'none' : true) && (options.previews || asked)) {
            this.deps.sendPreview(await previewPicture(promptId, step), sid, { promptId, nodeId: id });
          }
        }
      } else if (perOther > 0) {
        await delay(perOther);
      }
      if (!alive()) return;
      const prefix = entry.prompt[id]?.inputs?.['filename_prefix'];
      if (entry.outputs.includes(id) && typeof prefix === 'string' && prefix.split('/').includes('..')) {
        return this.finish(entry, messages, outputs, generation, ['execution_error', {
          prompt_id: promptId, node_id: id, node_type: classType, executed,
          exception_message: '**** ERROR: Saving image outside the output folder is not allowed.\n full_output_folder: /srv/comfy\n         output_dir: /srv/comfy/ComfyUI/output\n         commonpath: /srv/comfy\n',
          exception_type: 'Exception', traceback: ['  File "/srv/comfy/ComfyUI/execution.py", line 496, in execute\n'], current_inputs: {}, current_outputs: order, timestamp: Date.now(),
        }]);
      }
      const failure = this.matchFailure(id, classType);
      if (failure) {
        this.deps.consumeFailure();
        return this.finish(entry, messages, outputs, generation, ['execution_error', {
          prompt_id: promptId, node_id: id, node_type: classType, executed,
          exception_message: `${failure.message ?? 'simulated failure'}\n`, exception_type: failure.exceptionType ?? 'RuntimeError',
          traceback: ['  File "/srv/comfy/ComfyUI/execution.py", line 496, in execute\n'], current_inputs: {}, current_outputs: order, timestamp: Date.now(),
        }]);
      }
      const ui = entry.outputs.includes(id) ? await writeOutputs(state, entry.prompt, promptId, id, options.media) : null;
      if (!alive()) return;
      state.cache.set(key, ui);
      executed.push(id);
      if (ui) {
        outputs[id] = ui;
        toClient('executed', { node: id, display_node: id, output: ui, prompt_id: promptId });
      }
      progressState(id, 1, 1, 'finished');
    }
    return this.finish(entry, messages, outputs, generation, ['execution_success', { prompt_id: promptId, timestamp: Date.now() }]);
  }

  private progress(sid: string | undefined, data: Record<string, unknown>): void {
    this.deps.send('progress', data, sid);
  }

  private matchFailure(nodeId: string, classType: string): NodeFailure | undefined {
    const failure = this.deps.failure();
    if (!failure) return undefined;
    if (failure.nodeId !== undefined ? failure.nodeId === nodeId : failure.classType === classType) return failure;
    return undefined;
  }

  private async finish(
    entry: QueueEntry, messages: Array<[string, Record<string, unknown>]>, outputs: Record<string, UiOutput>,
    generation: number, terminal: [string, Record<string, unknown>],
  ): Promise<void> {
    const { state, send, now } = this.deps;
    const sid = typeof entry.extraData['client_id'] === 'string' ? entry.extraData['client_id'] : undefined;
    const [type, data] = terminal;
    messages.push(terminal);
    const record = this.deps.record(entry.promptId);
    const success = type === 'execution_success';
    if (record) {
      record.finishedAt = now();
      record.outcome = success ? 'success' : type === 'execution_error' ? 'error' : 'interrupted';
    }
    // execution_interrupted is broadcast when the prompt has no client; the others go only to the client.
    const successDelay = this.deps.options().successDelayMs;
    if (type === 'execution_success' && successDelay > 0) await delay(successDelay);
    if (generation !== this.generation) return;
    if (sid || type === 'execution_interrupted') send(type, data, sid);
    const delayMs = this.deps.options().historyDelayMs;
    if (delayMs > 0) await delay(delayMs);
    if (generation !== this.generation) return;
    state.recordHistory(entry.promptId, {
      prompt: [entry.number, entry.promptId, entry.prompt, entry.extraData, entry.outputs],
      outputs,
      status: { status_str: success ? 'success' : 'error', completed: success, messages },
      meta: Object.fromEntries(Object.keys(outputs).map((id) => [id, { node_id: id, display_node: id, parent_node: null, real_node_id: id }])),
    });
    state.running = undefined;
    this.deps.broadcastStatus();
    if (sid) send('executing', { node: null, prompt_id: entry.promptId }, sid);
    this.deps.onFinish(entry.promptId);
  }
}

const previewCache = new Map<string, Buffer>();
/** A JPEG per prompt (so tests can tell whose preview they see), the same for each of its steps. */
async function previewPicture(promptId: string, _step: number): Promise<Buffer> {
  let picture = previewCache.get(promptId);
  if (!picture) {
    picture = await makeJpeg({ width: 64, height: 64, seed: [...promptId].reduce((sum, char) => (Math.imul(sum, 31) + char.charCodeAt(0)) | 0, 7) >>> 0 });
    if (previewCache.size > 200) previewCache.clear();
    previewCache.set(promptId, picture);
  }
  return picture;
}
