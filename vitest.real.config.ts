import { defineConfig } from 'vitest/config';

/** The contract suite: the bot, render and the client against the real ComfyUI (see test/real/real-comfy.ts). */
export default defineConfig({
  test: {
    include: ['test/real/**/*.test.ts'],
    testTimeout: 90_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // One CPU-bound ComfyUI serves the suite: files run one after another so their timings stay meaningful.
    fileParallelism: false,
    globalSetup: ['test/real/global-setup.ts'],
  },
});
