import type { Clock } from '../src/jobs/clock.js';

/** A clock that moves only when the test says so: timers fire in order of their due time, chance is fixed. */
export class ManualClock implements Clock {
  private time: number;
  private timers: { at: number; run: () => void; order: number }[] = [];
  private order = 0;
  /** Every delay asked for, in order: what retry tests assert on. */
  readonly delays: number[] = [];

  constructor(start = 1_700_000_000_000, private readonly chance = 0.5) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  random(): number {
    return this.chance;
  }

  after(ms: number, run: () => void): { cancel(): void } {
    const timer = { at: this.time + ms, run, order: this.order++ };
    this.delays.push(ms);
    this.timers.push(timer);
    return { cancel: () => { this.timers = this.timers.filter((entry) => entry !== timer); } };
  }

  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, running each timer that falls due, in order. */
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const next = [...this.timers].sort((a, b) => a.at - b.at || a.order - b.order)[0];
      if (!next || next.at > until) break;
      this.timers = this.timers.filter((entry) => entry !== next);
      this.time = next.at;
      next.run();
    }
    this.time = until;
  }
}
