import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ComfyClient } from './client.js';
import type { OutputFile } from './outputs.js';

/** Streams each output through /view into `dir`, named by prompt and node so names never collide. */
export async function downloadOutputs(client: ComfyClient, promptId: string, outputs: readonly OutputFile[], dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const [index, file] of outputs.entries()) {
    const target = join(dir, `${promptId.slice(0, 8)}_${file.nodeId}_${index}_${basename(file.filename.replaceAll('\\', '/'))}`);
    const { stream } = await client.view(file);
    await pipeline(stream, createWriteStream(target));
    written.push(target);
  }
  return written;
}
