import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../run-script.js';

/** The real ComfyUI (v0.3.65, CPU, no models) that `../shared/comfyui-real` starts; see its README. */
export const REAL_COMFY_DIR = process.env['COMFYUI_REAL_DIR'] ?? join(ROOT, '..', 'shared', 'comfyui-real');

export function realComfyAvailable(): boolean {
  return existsSync(join(REAL_COMFY_DIR, 'start.sh'));
}

function run(script: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(REAL_COMFY_DIR, script), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * One real ComfyUI process in a home folder of its own. `stop()` ends it for good; `kill()` ends only the
 * process, and `start()` brings it back on the same port with the same folders (queue and history are gone,
 * as on any real restart).
 */
export class RealComfy {
  pid = 0;
  port = 0;

  private constructor(readonly home: string) {}

  static async start(): Promise<RealComfy> {
    const comfy = new RealComfy(await mkdtemp(join(tmpdir(), 'bot-comfy-home-')));
    await comfy.start();
    return comfy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const result = await run('start.sh', [String(this.port)], { COMFY_HOME: this.home });
    const last = result.stdout.trim().split('\n').at(-1) ?? '';
    const match = /^(\d+) (\d+)$/.exec(last);
    if (result.code !== 0 || !match) throw new Error(`the real ComfyUI did not start (exit ${result.code}):\n${result.stderr.slice(-2000)}`);
    this.pid = Number(match[1]);
    this.port = Number(match[2]);
  }

  /** Stops the process by its own id (the home folder stays, so `start()` can bring it back). */
  async kill(): Promise<void> {
    if (this.pid) await run('stop.sh', [String(this.pid)]);
    this.pid = 0;
  }

  async stop(): Promise<void> {
    await this.kill();
    await rm(this.home, { recursive: true, force: true });
  }
}
