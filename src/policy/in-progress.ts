/**
 * Commands that passed their quota check but are not in the ledger yet (waiting for the catalogue, an image
 * download or the public reply). Quota checks count them too, so several commands sent at once cannot all pass
 * through the same free slot.
 */
export class InProgress {
  private readonly held = new Map<string, number[]>();

  /** Holds a slot started at `at` under each key; returns its release, which is safe to call more than once. */
  hold(keys: readonly string[], at: number): () => void {
    for (const key of keys) this.held.set(key, [...this.times(key), at]);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const key of keys) this.drop(key, at);
    };
  }

  /** Start times of the slots held under `key`, oldest first. */
  times(key: string): readonly number[] {
    return this.held.get(key) ?? [];
  }

  private drop(key: string, at: number): void {
    const times = [...this.times(key)];
    const index = times.indexOf(at);
    if (index >= 0) times.splice(index, 1);
    if (times.length === 0) this.held.delete(key);
    else this.held.set(key, times);
  }
}
