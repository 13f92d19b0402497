/**
 * Round-robin across owners: each owner has a FIFO, and owners take turns, so one member's ten jobs do not hold
 * back everyone else. An owner who was just served goes to the back of the rotation.
 */
export class FairQueue<T extends { id: string }> {
  private readonly lanes = new Map<string, T[]>();
  /** Owners in the order they will next be served. */
  private rotation: string[] = [];

  constructor(private readonly ownerOf: (item: T) => string) {}

  get size(): number {
    let total = 0;
    for (const lane of this.lanes.values()) total += lane.length;
    return total;
  }

  countFor(owner: string): number {
    return this.lanes.get(owner)?.length ?? 0;
  }

  push(item: T): void {
    const owner = this.ownerOf(item);
    const lane = this.lanes.get(owner);
    if (lane) lane.push(item);
    else {
      this.lanes.set(owner, [item]);
      this.rotation.push(owner);
    }
  }

  /** Puts an item back at the head of its owner's lane and that owner first in turn (a failed submit). */
  unshift(item: T): void {
    const owner = this.ownerOf(item);
    const lane = this.lanes.get(owner);
    if (lane) lane.unshift(item);
    else this.lanes.set(owner, [item]);
    this.rotation = [owner, ...this.rotation.filter((other) => other !== owner)];
  }

  shift(): T | undefined {
    const owner = this.rotation.shift();
    if (owner === undefined) return undefined;
    const lane = this.lanes.get(owner) as T[];
    const item = lane.shift();
    if (lane.length > 0) this.rotation.push(owner);
    else this.lanes.delete(owner);
    return item;
  }

  remove(id: string): T | undefined {
    for (const [owner, lane] of this.lanes) {
      const index = lane.findIndex((item) => item.id === id);
      if (index < 0) continue;
      const [removed] = lane.splice(index, 1);
      if (lane.length === 0) {
        this.lanes.delete(owner);
        this.rotation = this.rotation.filter((other) => other !== owner);
      }
      return removed;
    }
    return undefined;
  }

  /** Every item in the order `shift()` would return them. */
  ordered(): T[] {
    const cursors = new Map([...this.lanes].map(([owner, lane]) => [owner, [...lane]]));
    const rotation = [...this.rotation];
    const result: T[] = [];
    for (let owner = rotation.shift(); owner !== undefined; owner = rotation.shift()) {
      const lane = cursors.get(owner) as T[];
      result.push(lane.shift() as T);
      if (lane.length > 0) rotation.push(owner);
    }
    return result;
  }

  /** 1-based position of an item in run order. */
  positionOf(id: string): number {
    return this.ordered().findIndex((item) => item.id === id) + 1;
  }
}
