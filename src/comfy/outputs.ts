import { extname } from 'node:path';
import { FileRefSchema, type FileRef, type NodeOutput } from './schemas.js';

export type OutputKind = 'image' | 'animation' | 'video' | 'audio' | 'other';

export interface OutputFile extends FileRef {
  nodeId: string;
  /** The UI dict key it was found under (`images`, `gifs`, `audio`, `video`, …). */
  key: string;
  kind: OutputKind;
}

const VIDEO_EXTENSIONS = new Set(['.mp4', '.webm', '.mkv', '.mov', '.avi']);
const AUDIO_EXTENSIONS = new Set(['.flac', '.mp3', '.wav', '.ogg', '.opus', '.m4a']);
const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.gif', '.bmp']);
/** Keys that hold data, not files, or that name side files (VHS `workflow` PNG). */
const IGNORED_KEYS = new Set(['animated', 'text', 'metadata']);

function kindOf(filename: string, animated: boolean): OutputKind {
  const extension = extname(filename).toLowerCase();
  if (VIDEO_EXTENSIONS.has(extension)) return 'video';
  if (AUDIO_EXTENSIONS.has(extension)) return 'audio';
  if (extension === '.gif') return 'animation';
  if (IMAGE_EXTENSIONS.has(extension)) return animated ? 'animation' : 'image';
  return 'other';
}

/** `animated` is a list of booleans (`[true]`, `[true, true]`): animated if any is true. */
function isAnimated(output: NodeOutput): boolean {
  const animated = output['animated'];
  return Array.isArray(animated) ? animated.some((flag) => flag === true) : animated === true;
}

function compareNodeIds(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/**
 * Every file of every output node, whatever key it is under, in node order. When a run produced real
 * outputs, `temp` previews are dropped; a workflow whose only sink is PreviewImage still yields its temps.
 */
export function collectOutputs(outputs: Record<string, NodeOutput | null>, nodeOrder?: readonly string[]): OutputFile[] {
  const order = nodeOrder ? new Map(nodeOrder.map((id, index) => [id, index])) : undefined;
  const nodeIds = Object.keys(outputs).sort((a, b) =>
    order ? (order.get(a) ?? Infinity) - (order.get(b) ?? Infinity) || compareNodeIds(a, b) : compareNodeIds(a, b),
  );
  const files: OutputFile[] = [];
  for (const nodeId of nodeIds) {
    const output = outputs[nodeId];
    if (!output) continue;
    const animated = isAnimated(output);
    for (const [key, value] of Object.entries(output)) {
      if (IGNORED_KEYS.has(key) || !Array.isArray(value)) continue;
      for (const item of value) {
        const parsed = FileRefSchema.safeParse(item);
        if (!parsed.success) continue;
        // Only what the bot uses: a server's full path or a side file named in the entry are never passed on.
        const { filename, subfolder, type, format } = parsed.data;
        const file: FileRef = { filename, subfolder, type, ...(format !== undefined ? { format } : {}) };
        files.push({ ...file, nodeId, key, kind: kindOf(filename, animated || key === 'gifs') });
      }
    }
  }
  const real = files.filter((file) => file.type !== 'temp');
  return real.length > 0 ? real : files;
}
