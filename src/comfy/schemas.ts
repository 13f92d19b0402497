import { z } from 'zod';

/** An API-format workflow: node id → node. Links are `[nodeId, outputIndex]`. */
export const WorkflowNodeSchema = z.looseObject({
  class_type: z.string(),
  inputs: z.record(z.string(), z.unknown()),
  _meta: z.looseObject({ title: z.string().optional() }).optional(),
});
export const WorkflowSchema = z.record(z.string(), WorkflowNodeSchema);
export type WorkflowNode = z.infer<typeof WorkflowNodeSchema>;
export type Workflow = z.infer<typeof WorkflowSchema>;

const NodeErrorItemSchema = z.looseObject({
  type: z.string(),
  message: z.string(),
  details: z.string().default(''),
  extra_info: z.record(z.string(), z.unknown()).default({}),
});
export type NodeErrorItem = z.infer<typeof NodeErrorItemSchema>;

const NodeErrorSchema = z.looseObject({
  errors: z.array(NodeErrorItemSchema),
  dependent_outputs: z.array(z.string()).default([]),
  class_type: z.string(),
});
export type NodeError = z.infer<typeof NodeErrorSchema>;

/** Servers before April 2025 sent `node_errors: []` on early failures. */
const NodeErrorsSchema = z.union([z.record(z.string(), NodeErrorSchema), z.array(z.unknown())]);
export type NodeErrors = Record<string, NodeError>;

export const PromptOkSchema = z.object({
  prompt_id: z.string(),
  number: z.number(),
  node_errors: NodeErrorsSchema.default({}),
});

/** Both the current `{error: {...}}` shape and the pre-2025 `{error: "no prompt"}` one. */
export const PromptErrorBodySchema = z.object({
  error: z.union([
    z.string(),
    z.looseObject({
      type: z.string(),
      message: z.string(),
      details: z.string().default(''),
      extra_info: z.record(z.string(), z.unknown()).default({}),
    }),
  ]),
  node_errors: NodeErrorsSchema.default({}),
});
export type PromptErrorBody = z.infer<typeof PromptErrorBodySchema>;

export const PromptInfoSchema = z.object({
  exec_info: z.object({ queue_remaining: z.number().int() }),
});

export const QueueItemSchema = z
  .tuple([z.number(), z.string(), z.record(z.string(), z.unknown()), z.record(z.string(), z.unknown()), z.array(z.string())])
  .rest(z.unknown());
export const QueueSchema = z.object({
  queue_running: z.array(QueueItemSchema),
  queue_pending: z.array(QueueItemSchema),
});

export const FileRefSchema = z.looseObject({
  filename: z.string(),
  subfolder: z.string().default(''),
  type: z.string().default('output'),
  format: z.string().optional(),
});
export type FileRef = z.infer<typeof FileRefSchema>;

/** An output node's UI dict: any keys; the ones holding files are lists of `{filename, subfolder, type}`. */
export const NodeOutputSchema = z.record(z.string(), z.unknown());
export type NodeOutput = z.infer<typeof NodeOutputSchema>;

const StatusMessageSchema = z.tuple([z.string(), z.record(z.string(), z.unknown())]);

export const HistoryEntrySchema = z.looseObject({
  prompt: z.array(z.unknown()),
  outputs: z.record(z.string(), NodeOutputSchema.nullable()).default({}),
  status: z
    .looseObject({
      status_str: z.string(),
      completed: z.boolean(),
      messages: z.array(StatusMessageSchema).default([]),
    })
    .optional(),
  meta: z.record(z.string(), z.unknown()).optional(),
});
export type HistoryEntry = z.infer<typeof HistoryEntrySchema>;
export const HistorySchema = z.record(z.string(), HistoryEntrySchema);

export const UploadResultSchema = z.looseObject({
  name: z.string(),
  subfolder: z.string().default(''),
  type: z.string().default('input'),
});
export type UploadResult = z.infer<typeof UploadResultSchema>;

export const SystemStatsSchema = z.looseObject({
  system: z.looseObject({
    os: z.string().optional(),
    comfyui_version: z.string().optional(),
    python_version: z.string().optional(),
  }),
  devices: z.array(
    z.looseObject({
      name: z.string(),
      type: z.string(),
      vram_total: z.number().optional(),
      vram_free: z.number().optional(),
    }),
  ),
});
export type SystemStats = z.infer<typeof SystemStatsSchema>;

const InputSpecSchema = z.array(z.unknown());
export const NodeInfoSchema = z.looseObject({
  input: z.looseObject({
    required: z.record(z.string(), InputSpecSchema).optional(),
    optional: z.record(z.string(), InputSpecSchema).optional(),
  }),
  output: z.array(z.unknown()).default([]),
  name: z.string(),
  display_name: z.string().optional(),
  python_module: z.string().optional(),
  output_node: z.boolean().default(false),
});
export type NodeInfo = z.infer<typeof NodeInfoSchema>;
export const ObjectInfoSchema = z.record(z.string(), NodeInfoSchema);
export type ObjectInfo = z.infer<typeof ObjectInfoSchema>;
