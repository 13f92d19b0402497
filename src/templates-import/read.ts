import { inflateSync } from 'node:zlib';

/** Why a file cannot be imported, said so an admin knows what to do. */
export class ImportError extends Error {
  override name = 'ImportError';
}

const UI_FORMAT = 'This is the ComfyUI editor\'s own workflow format (what Save writes), not the API format the bot runs. '
  + 'In ComfyUI, open Settings and turn on the dev mode options, then use Workflow → Export (API) (or "Save (API Format)") and import that file.';

/** Text chunks of a PNG (tEXt, zTXt and iTXt), by keyword: ComfyUI writes `prompt` (API format) and `workflow` (UI). */
function pngText(bytes: Buffer): Map<string, string> {
  const texts = new Map<string, string>();
  for (let at = 8; at + 8 <= bytes.length;) {
    const length = bytes.readUInt32BE(at);
    const type = bytes.toString('latin1', at + 4, at + 8);
    const data = bytes.subarray(at + 8, at + 8 + length);
    const zero = data.indexOf(0);
    if (zero > 0 && (type === 'tEXt' || type === 'zTXt' || type === 'iTXt')) {
      const keyword = data.toString('latin1', 0, zero);
      if (type === 'tEXt') texts.set(keyword, data.toString('latin1', zero + 1));
      if (type === 'zTXt') texts.set(keyword, inflateSync(data.subarray(zero + 2)).toString('utf8'));
      if (type === 'iTXt') {
        const compressed = data[zero + 1] === 1;
        const languageEnd = data.indexOf(0, zero + 3);
        const keywordEnd = data.indexOf(0, languageEnd + 1);
        const text = data.subarray(keywordEnd + 1);
        texts.set(keyword, (compressed ? inflateSync(text) : text).toString('utf8'));
      }
    }
    if (type === 'IEND') break;
    at += 12 + length;
  }
  return texts;
}

/** ComfyUI's animated WebP keeps the prompt in EXIF as `prompt:{…}`: the JSON object after that marker. */
function webpPrompt(bytes: Buffer): string | undefined {
  const marker = bytes.indexOf('prompt:{');
  if (marker < 0) return undefined;
  let depth = 0;
  let inString = false;
  for (let at = marker + 7; at < bytes.length; at++) {
    const char = bytes[at];
    if (inString) {
      if (char === 0x5c) at++;
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) inString = true;
    else if (char === 0x7b) depth++;
    else if (char === 0x7d && --depth === 0) return bytes.toString('utf8', marker + 7, at + 1);
  }
  return undefined;
}

function parsed(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ImportError(`${what} is not valid JSON: ${(error as Error).message}`);
  }
}

/** The UI format has `nodes` and `links` arrays; the API format is an object of nodes with `class_type`. */
function refuseUiFormat(value: unknown): void {
  if (value && typeof value === 'object' && 'nodes' in value && 'links' in value) throw new ImportError(UI_FORMAT);
}

/**
 * The API-format workflow in a file: an exported JSON, or a PNG or WebP that ComfyUI saved (the prompt is in its
 * metadata). A UI-format workflow is refused with how to export the API format.
 */
export function readWorkflowFile(name: string, bytes: Buffer): unknown {
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    const texts = pngText(bytes);
    const prompt = texts.get('prompt');
    if (prompt) return parsed(prompt, `${name}'s prompt metadata`);
    if (texts.has('workflow')) throw new ImportError(`${name} carries only the editor's workflow, not the API prompt. ${UI_FORMAT}`);
    throw new ImportError(`${name} has no ComfyUI metadata: it was not saved by ComfyUI's SaveImage (or the metadata was stripped).`);
  }
  if (bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') {
    const prompt = webpPrompt(bytes);
    if (!prompt) throw new ImportError(`${name} has no ComfyUI prompt in its metadata.`);
    return parsed(prompt, `${name}'s prompt metadata`);
  }
  const value = parsed(bytes.toString('utf8'), name);
  refuseUiFormat(value);
  return value;
}
