import { parseArgs } from 'node:util';
import { ComfySim } from './sim.js';

/** `npm run sim -- --port 8188 [--run-ms 2000] [--steps 20] [--previews]`: try the bot or `render` without a GPU. */
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8188' },
    'run-ms': { type: 'string', default: '2000' },
    steps: { type: 'string' },
    previews: { type: 'boolean', default: false },
    size: { type: 'string', default: '512x512' },
    'no-vhs': { type: 'boolean', default: false },
  },
});

const [width, height] = (values.size ?? '512x512').split('x').map(Number);
const sim = new ComfySim({
  runMs: Number(values['run-ms']),
  ...(values.steps ? { steps: Number(values.steps) } : {}),
  previews: values.previews ?? false,
  imageWidth: width ?? 512,
  imageHeight: height ?? 512,
  videoHelperSuite: !values['no-vhs'],
});
await sim.start(Number(values.port));
console.log(`ComfyUI simulator listening on ${sim.url} (run ${sim.options.runMs} ms per prompt). Ctrl+C stops it.`);
const stop = (): void => void sim.stop().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
