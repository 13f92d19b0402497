import { z } from 'zod';
import { NodeOutputSchema } from './schemas.js';

const promptId = z.string();
const ts = z.number().optional();

/** The websocket JSON events the bot understands, as ComfyUI sends them (v0.3.64 shapes and later). */
/** The same shapes arrive on the websocket and inside a history entry's `status.messages`. */
export const ExecutionErrorSchema = z.looseObject({
  prompt_id: promptId,
  node_id: z.string(),
  node_type: z.string(),
  exception_message: z.string(),
  exception_type: z.string(),
  timestamp: ts,
});
export const ExecutionInterruptedSchema = z.looseObject({ prompt_id: promptId, node_id: z.string().nullable().optional(), node_type: z.string().nullable().optional(), timestamp: ts });

export const ComfyEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('status'),
    data: z.looseObject({ status: z.object({ exec_info: z.object({ queue_remaining: z.number() }) }).nullable().optional(), sid: z.string().optional() }),
  }),
  z.object({ type: z.literal('execution_start'), data: z.looseObject({ prompt_id: promptId, timestamp: ts }) }),
  z.object({ type: z.literal('execution_cached'), data: z.looseObject({ prompt_id: promptId, nodes: z.array(z.string()), timestamp: ts }) }),
  z.object({
    type: z.literal('executing'),
    // On reconnect the server may send `{node}` without prompt_id for the prompt it is running.
    data: z.looseObject({ node: z.string().nullable(), display_node: z.string().optional(), prompt_id: promptId.optional() }),
  }),
  z.object({
    type: z.literal('progress'),
    data: z.looseObject({ value: z.number(), max: z.number(), prompt_id: promptId.optional(), node: z.string().nullable().optional() }),
  }),
  z.object({
    type: z.literal('executed'),
    data: z.looseObject({ node: z.string(), display_node: z.string().optional(), output: NodeOutputSchema.nullable(), prompt_id: promptId }),
  }),
  z.object({ type: z.literal('execution_success'), data: z.looseObject({ prompt_id: promptId, timestamp: ts }) }),
  z.object({ type: z.literal('execution_error'), data: ExecutionErrorSchema }),
  z.object({ type: z.literal('execution_interrupted'), data: ExecutionInterruptedSchema }),
]);
export type ComfyEvent = z.infer<typeof ComfyEventSchema>;

export interface PreviewFrame {
  type: 'preview';
  format: 'jpeg' | 'png';
  image: Buffer;
  /** Present only on type-4 frames (negotiated `supports_preview_metadata`). */
  promptId?: string;
  nodeId?: string;
}

/** Parses a text frame; unknown event types (custom nodes, Manager) give undefined and are ignored. */
export function parseTextFrame(text: string): ComfyEvent | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const result = ComfyEventSchema.safeParse(json);
  return result.success ? result.data : undefined;
}

const BINARY_PREVIEW = 1;
const BINARY_PREVIEW_WITH_METADATA = 4;

/** Binary frames: 4-byte big-endian event type; type 1 = 4-byte format + image, type 4 = JSON length + JSON + image. */
export function parseBinaryFrame(frame: Buffer): PreviewFrame | undefined {
  if (frame.length < 8) return undefined;
  const eventType = frame.readUInt32BE(0);
  if (eventType === BINARY_PREVIEW) {
    return { type: 'preview', format: frame.readUInt32BE(4) === 2 ? 'png' : 'jpeg', image: frame.subarray(8) };
  }
  if (eventType === BINARY_PREVIEW_WITH_METADATA) {
    const length = frame.readUInt32BE(4);
    if (frame.length < 8 + length) return undefined;
    const meta = safeJson(frame.subarray(8, 8 + length).toString('utf8'));
    const image = frame.subarray(8 + length);
    return {
      type: 'preview',
      format: meta?.['image_type'] === 'image/png' ? 'png' : 'jpeg',
      image,
      ...(typeof meta?.['prompt_id'] === 'string' ? { promptId: meta['prompt_id'] } : {}),
      ...(typeof meta?.['node_id'] === 'string' ? { nodeId: meta['node_id'] } : {}),
    };
  }
  return undefined;
}

function safeJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
