/** Time and chance as the scheduler uses them, so tests can move time forward instead of waiting for it. */
export interface Clock {
  now(): number;
  /** Runs `run` after `ms`; the timer never keeps the process alive on its own. */
  after(ms: number, run: () => void): { cancel(): void };
  /** A number in [0, 1): spreads retries so many bots do not knock at the same instant. */
  random(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  after(ms, run) {
    const timer = setTimeout(run, ms);
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
  random: () => Math.random(),
};
