export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** Returns a number in [0, 1); injectable so tests are deterministic. */
  random?: () => number;
}

/** Exponential backoff with "full jitter": a random delay in [base·2^attempt / 2, base·2^attempt], capped. */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const random = options.random ?? Math.random;
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}
