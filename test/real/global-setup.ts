import { execFileSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { ROOT } from '../run-script.js';
import { RealComfy, realComfyAvailable, REAL_COMFY_DIR } from './real-comfy.js';

declare module 'vitest' {
  export interface ProvidedContext {
    comfyUrl: string;
  }
}

/** Builds the bot (the tests run it as `npm start` does) and starts one real ComfyUI shared by the suite. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!realComfyAvailable()) throw new Error(`the real ComfyUI is not at ${REAL_COMFY_DIR}; set COMFYUI_REAL_DIR`);
  execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
  const comfy = await RealComfy.start();
  project.provide('comfyUrl', comfy.url);
  return () => comfy.stop();
}
