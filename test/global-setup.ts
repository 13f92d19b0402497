import { execFileSync } from 'node:child_process';
import { ROOT } from './run-script.js';

/** End-to-end tests start the bot exactly as `npm start` does, so build it once first. */
export default function setup(): void {
  execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
}
