import { createHash } from 'node:crypto';
import { makeAnimation, makeMp4Named, makePng } from './media.js';
import { fileKey, type SimState, type UiOutput } from './state.js';
import type { SimWorkflow } from './validate.js';

export interface MediaOptions {
  width: number;
  height: number;
  frames: number;
  /** Size of MP4-named files. */
  videoBytes: number;
}

function seedOf(text: string): number {
  return createHash('sha1').update(text).digest().readUInt32BE(0);
}

/** Finds an input value on the node or anywhere upstream (batch_size, video_frames…). */
export function upstreamValue(prompt: SimWorkflow, nodeId: string, inputName: string, seen = new Set<string>()): unknown {
  if (seen.has(nodeId)) return undefined;
  seen.add(nodeId);
  const inputs = prompt[nodeId]?.inputs ?? {};
  if (inputName in inputs && !Array.isArray(inputs[inputName])) return inputs[inputName];
  for (const value of Object.values(inputs)) {
    if (Array.isArray(value) && typeof value[0] === 'string') {
      const found = upstreamValue(prompt, value[0], inputName, seen);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

function splitPrefix(prefix: string): { subfolder: string; base: string } {
  const slash = prefix.lastIndexOf('/');
  return slash < 0 ? { subfolder: '', base: prefix } : { subfolder: prefix.slice(0, slash), base: prefix.slice(slash + 1) };
}

function randomLetters(seed: number): string {
  let text = '';
  for (let i = 0; i < 5; i++) text += String.fromCharCode(97 + ((seed >>> (i * 5)) % 26));
  return text;
}

/** Writes the files an output node would write and returns its UI dict, as ComfyUI's save nodes do. */
export async function writeOutputs(state: SimState, prompt: SimWorkflow, promptId: string, nodeId: string, media: MediaOptions): Promise<UiOutput | null> {
  const node = prompt[nodeId];
  const inputs = node?.inputs ?? {};
  const seed = seedOf(`${promptId}/${nodeId}/${JSON.stringify(upstreamValue(prompt, nodeId, 'seed') ?? '')}`);
  const size = { width: media.width, height: media.height };
  const save = (type: string, subfolder: string, filename: string, bytes: Buffer) => {
    state.files.set(fileKey(type, subfolder, filename), bytes);
    return { filename, subfolder, type };
  };
  const counterFor = (type: string, subfolder: string, base: string) => state.nextCounter(`${type}/${subfolder}/${base}`);
  const frames = Number(upstreamValue(prompt, nodeId, 'video_frames') ?? media.frames);
  switch (node?.class_type) {
    case 'SaveImage': {
      const { subfolder, base } = splitPrefix(String(inputs['filename_prefix'] ?? 'ComfyUI'));
      const batch = Number(upstreamValue(prompt, nodeId, 'batch_size') ?? 1);
      const images = [];
      for (let i = 0; i < batch; i++) {
        const counter = counterFor('output', subfolder, base);
        images.push(save('output', subfolder, `${base}_${String(counter).padStart(5, '0')}_.png`, await makePng({ ...size, seed: seed + i })));
      }
      return { images };
    }
    case 'PreviewImage': {
      const base = `ComfyUI_temp_${randomLetters(seed)}`;
      const batch = Number(upstreamValue(prompt, nodeId, 'batch_size') ?? 1);
      const images = [];
      for (let i = 0; i < batch; i++) images.push(save('temp', '', `${base}_${String(i + 1).padStart(5, '0')}_.png`, await makePng({ ...size, seed: seed + i })));
      return { images };
    }
    case 'SaveAnimatedWEBP':
    case 'SaveAnimatedPNG': {
      const { subfolder, base } = splitPrefix(String(inputs['filename_prefix'] ?? 'ComfyUI'));
      const counter = counterFor('output', subfolder, base);
      const webp = node.class_type === 'SaveAnimatedWEBP';
      const bytes = webp ? await makeAnimation({ ...size, seed }, frames, 'webp', Number(inputs['fps'] ?? 6)) : await makePng({ ...size, seed });
      const file = save('output', subfolder, `${base}_${String(counter).padStart(5, '0')}_.${webp ? 'webp' : 'png'}`, bytes);
      return { images: [file], animated: [frames !== 1] };
    }
    case 'VHS_VideoCombine': {
      const { subfolder, base } = splitPrefix(String(inputs['filename_prefix'] ?? 'AnimateDiff'));
      const format = String(inputs['format'] ?? 'image/gif');
      const type = inputs['save_output'] === false ? 'temp' : 'output';
      const counter = String(counterFor(type, subfolder, base)).padStart(5, '0');
      const fps = Number(inputs['frame_rate'] ?? 8);
      const extension = format === 'image/gif' ? 'gif' : format === 'image/webp' ? 'webp' : format.endsWith('webm') ? 'webm' : 'mp4';
      const bytes = extension === 'gif' || extension === 'webp'
        ? await makeAnimation({ ...size, seed }, frames, extension, fps)
        : makeMp4Named(media.videoBytes, seed);
      const file = save(type, subfolder, `${base}_${counter}.${extension}`, bytes);
      save(type, subfolder, `${base}_${counter}.png`, await makePng({ ...size, seed }));
      return { gifs: [{ ...file, format, frame_rate: fps, workflow: `${base}_${counter}.png`, fullpath: `/srv/comfy/ComfyUI/${type}/${file.filename}` }] };
    }
    case 'PreviewAny': {
      const value = upstreamValue(prompt, nodeId, 'value') ?? upstreamValue(prompt, nodeId, 'source');
      return { text: [typeof value === 'string' ? value : JSON.stringify(value ?? null)] };
    }
    default:
      return null;
  }
}
