import { z } from 'zod';

/**
 * Response schemas. ComfyUI and its custom nodes add and change fields every release, so each schema parses only
 * what the bot uses and accepts anything else in any shape (null, missing, extra keys): one odd field must never
 * make a whole answer — or a whole server — unusable.
 */

/** A field the bot can do without: a wrong shape becomes undefined instead of an error. */
const lenient = <T extends z.ZodType>(schema: T) => schema.optional().catch(undefined);
const text = z.string();
const record = z.record(z.string(), z.unknown());

/** An API-format workflow: node id → node. Links are `[nodeId, outputIndex]`. */
export const WorkflowNodeSchema = z.looseObject({
  class_type: z.string(),
  inputs: z.record(z.string(), z.unknown()),
  _meta: z.looseObject({ title: z.string().optional() }).optional(),
});
export const WorkflowSchema = z.record(z.string(), WorkflowNodeSchema);
export type Workflow = z.infer<typeof WorkflowSchema>;

const NodeErrorItemSchema = z.looseObject({
  type: text.catch('unknown'),
  message: text.catch(''),
  details: text.catch(''),
  extra_info: record.catch({}),
});
export type NodeErrorItem = z.infer<typeof NodeErrorItemSchema>;

const NodeErrorSchema = z.looseObject({
  errors: z.array(NodeErrorItemSchema).catch([]),
  dependent_outputs: z.array(z.unknown()).catch([]).transform((ids) => ids.map(String)),
  class_type: text.catch('unknown node'),
});
export type NodeError = z.infer<typeof NodeErrorSchema>;

/** Servers before April 2025 sent `node_errors: []` on early failures; anything else odd counts as none. */
export type NodeErrors = Record<string, NodeError>;
const NodeErrorsSchema = z.union([z.record(z.string(), NodeErrorSchema), z.array(z.unknown()).transform((): NodeErrors => ({}))]).catch({});

export const PromptOkSchema = z.looseObject({
  prompt_id: z.string(),
  number: z.number().catch(0),
  node_errors: NodeErrorsSchema.default({}),
});

/** Both the current `{error: {...}}` shape and the pre-2025 `{error: "no prompt"}` one. */
export const PromptErrorBodySchema = z.looseObject({
  error: z.union([
    z.string(),
    z.looseObject({
      type: text.catch('unknown'),
      message: text.catch(''),
      details: text.catch(''),
      extra_info: record.catch({}),
    }),
  ]),
  node_errors: NodeErrorsSchema.default({}),
});
export type PromptErrorBody = z.infer<typeof PromptErrorBodySchema>;

export const PromptInfoSchema = z.looseObject({
  exec_info: z.looseObject({ queue_remaining: z.number() }),
});

/**
 * `[number, prompt_id, prompt, extra_data, outputs, …]`. Odd items are dropped one by one by the client; a list
 * that is not a list at all is an error, never "empty" — an empty queue would call every running prompt lost.
 */
export const QueueSchema = z.looseObject({
  queue_running: z.array(z.unknown()),
  queue_pending: z.array(z.unknown()),
});

export const FileRefSchema = z.looseObject({
  filename: z.string(),
  subfolder: z.string().catch(''),
  type: z.string().catch('output'),
  format: lenient(z.string()),
});
export type FileRef = z.infer<typeof FileRefSchema>;

/** An output node's UI dict: any keys; the ones holding files are lists of `{filename, subfolder, type}`. */
export const NodeOutputSchema = z.record(z.string(), z.unknown());
export type NodeOutput = z.infer<typeof NodeOutputSchema>;

/** `[event type, data]` pairs; anything else in the list is skipped. */
export type StatusMessage = [string, Record<string, unknown>];
const StatusMessagesSchema = z.array(z.unknown()).catch([]).transform((items) =>
  items.flatMap((item): StatusMessage[] => {
    const parsed = z.tuple([z.string(), record]).rest(z.unknown()).safeParse(item);
    return parsed.success ? [[parsed.data[0], parsed.data[1]]] : [];
  }),
);

export const HistoryEntrySchema = z.looseObject({
  prompt: z.array(z.unknown()).catch([]),
  outputs: z.record(z.string(), NodeOutputSchema.nullable().catch(null)).catch({}).default({}),
  status: lenient(z.looseObject({
    status_str: text.catch('unknown'),
    completed: z.boolean().catch(false),
    messages: StatusMessagesSchema.default([]),
  })),
});
export type HistoryEntry = z.infer<typeof HistoryEntrySchema>;
/** One bad entry must not hide the others: each is parsed on its own when it is used. */
export const HistorySchema = z.record(z.string(), z.unknown());

export const UploadResultSchema = z.looseObject({
  name: z.string(),
  subfolder: z.string().catch(''),
  type: z.string().catch('input'),
});
export type UploadResult = z.infer<typeof UploadResultSchema>;

const DeviceSchema = z.looseObject({
  name: text.catch('unknown device'),
  type: text.catch('unknown'),
  vram_total: lenient(z.number()),
  vram_free: lenient(z.number()),
});
export const SystemStatsSchema = z.looseObject({
  system: z.looseObject({
    os: lenient(text),
    comfyui_version: lenient(text),
    python_version: lenient(text),
    /** How it was started (`--preview-method auto`…). */
    argv: lenient(z.array(z.string())),
  }).catch({}),
  devices: z.array(z.unknown()).catch([]).transform((items) => items.flatMap((item) => {
    const parsed = DeviceSchema.safeParse(item);
    return parsed.success ? [parsed.data] : [];
  })),
});
export type SystemStats = z.infer<typeof SystemStatsSchema>;

/** What the bot reads of a node type: its inputs (for combos), its outputs and whether it is an output node. */
export const NodeInfoSchema = z.looseObject({
  input: z.looseObject({
    required: record.catch({}).optional(),
    optional: record.catch({}).optional(),
  }).catch({}),
  output: z.array(z.unknown()).catch([]).default([]),
  output_node: z.boolean().catch(false).default(false),
});
export type NodeInfo = z.infer<typeof NodeInfoSchema>;
export type ObjectInfo = Record<string, NodeInfo>;
/** The raw answer: node name → anything. Each node is parsed on its own (see parseObjectInfo). */
export const RawObjectInfoSchema = z.record(z.string(), z.unknown());

export interface ParsedObjectInfo {
  info: ObjectInfo;
  /** Node types whose description could not be read at all; they are left out, the rest is usable. */
  skipped: string[];
}

export function parseObjectInfo(raw: Record<string, unknown>): ParsedObjectInfo {
  const info: ObjectInfo = {};
  const skipped: string[] = [];
  for (const [name, node] of Object.entries(raw)) {
    const parsed = NodeInfoSchema.safeParse(node);
    if (parsed.success) info[name] = parsed.data;
    else skipped.push(name);
  }
  return { info, skipped };
}
