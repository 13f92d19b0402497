type Step = 'next' | 'skip-owner' | 'stop';

/**
 * Fair order across owners: each owner has a FIFO, and the next item comes from the owner served longest ago
 * (never-served owners first, by arrival). So one member's ten jobs do not hold back everyone else, and a
 * member whose jobs just went to the GPU waits behind members who have had nothing yet.
 */
export class FairQueue<T extends { id: string }> {
  private readonly lanes = new Map<string, T[]>();
  /** Owner → serial of their last serve (higher = more recent). */
  private readonly lastServed = new Map<string, number>();
  /** Owner → serial of arrival of their oldest waiting item, to break ties among never-served owners. */
  private readonly arrival = new Map<string, number>();
  private serial = 0;

  constructor(private readonly ownerOf: (item: T) => string, private readonly memory = 10_000) {}

  get size(): number {
    let total = 0;
    for (const lane of this.lanes.values()) total += lane.length;
    return total;
  }

  countFor(owner: string): number {
    return this.lanes.get(owner)?.length ?? 0;
  }

  push(item: T): void {
    this.laneOf(this.ownerOf(item)).push(item);
  }

  /** Puts an item back at the head of its owner's lane and un-does that owner's last serve (a failed submit). */
  unshift(item: T): void {
    const owner = this.ownerOf(item);
    this.laneOf(owner).unshift(item);
    this.lastServed.set(owner, -Infinity);
  }

  shift(): T | undefined {
    return this.take(() => true);
  }

  /**
   * Takes the first item, in fair order, that `accept` agrees to (it may have side effects, such as reserving
   * room for the item). A declined item keeps its place, and so do the later items of its owner (FIFO per member).
   */
  take(accept: (item: T) => boolean): T | undefined {
    let taken: { owner: string; index: number } | undefined;
    this.walk((item, owner, index) => {
      if (!accept(item)) return 'skip-owner';
      taken = { owner, index };
      return 'stop';
    });
    if (!taken) return undefined;
    const lane = this.lanes.get(taken.owner) as T[];
    const [item] = lane.splice(taken.index, 1);
    this.dropIfEmpty(taken.owner);
    this.lastServed.set(taken.owner, ++this.serial);
    this.forgetOldest();
    return item;
  }

  remove(id: string): T | undefined {
    for (const [owner, lane] of this.lanes) {
      const index = lane.findIndex((item) => item.id === id);
      if (index < 0) continue;
      const [removed] = lane.splice(index, 1);
      this.dropIfEmpty(owner);
      return removed;
    }
    return undefined;
  }

  /** Every item in the order `shift()` would return them. */
  ordered(): T[] {
    const result: T[] = [];
    this.walk((item) => {
      result.push(item);
      return 'next';
    });
    return result;
  }

  /** The first `count` items in run order, without walking the rest. */
  head(count: number): T[] {
    const result: T[] = [];
    if (count > 0) {
      this.walk((item) => {
        result.push(item);
        return result.length < count ? 'next' : 'stop';
      });
    }
    return result;
  }

  /**
   * 1-based position of an item in run order, in O(owners · log owners): the walk serves owners in rounds, each
   * round in the same order (by last serve, then arrival), so the i-th item of an owner comes after
   * min(length, i) items of every owner, plus one from each owner ahead of it that still has more than i.
   */
  positionOf(id: string): number {
    let target: { owner: string; index: number } | undefined;
    for (const [owner, lane] of this.lanes) {
      const index = lane.findIndex((item) => item.id === id);
      if (index >= 0) target = { owner, index };
    }
    if (!target) return 0;
    const { owner, index } = target;
    const key = (name: string): [number, number] => [this.lastServed.get(name) ?? -Infinity, this.arrival.get(name) ?? 0];
    const [served, arrived] = key(owner);
    let position = 1;
    for (const [other, lane] of this.lanes) {
      position += Math.min(lane.length, index);
      const [otherServed, otherArrived] = key(other);
      const ahead = otherServed < served || (otherServed === served && otherArrived < arrived);
      if (other !== owner && ahead && lane.length > index) position++;
    }
    return position;
  }

  /** Visits waiting items in fair order, as if each visit were a serve, without changing anything. */
  private walk(visit: (item: T, owner: string, index: number) => Step): void {
    const served = new Map(this.lastServed);
    const cursors = new Map([...this.lanes.keys()].map((owner) => [owner, 0]));
    let serial = this.serial;
    for (let owner = this.nextOwner(served, cursors); owner !== undefined; owner = this.nextOwner(served, cursors)) {
      const lane = this.lanes.get(owner) as T[];
      const index = cursors.get(owner) as number;
      const step = visit(lane[index] as T, owner, index);
      if (step === 'stop') return;
      cursors.set(owner, step === 'skip-owner' ? lane.length : index + 1);
      served.set(owner, ++serial);
    }
  }

  private nextOwner(served: ReadonlyMap<string, number>, cursors: ReadonlyMap<string, number>): string | undefined {
    let best: string | undefined;
    let bestKey: [number, number] = [Infinity, Infinity];
    for (const [owner, lane] of this.lanes) {
      if ((cursors.get(owner) as number) >= lane.length) continue;
      const key: [number, number] = [served.get(owner) ?? -Infinity, this.arrival.get(owner) ?? 0];
      if (key[0] < bestKey[0] || (key[0] === bestKey[0] && key[1] < bestKey[1])) {
        best = owner;
        bestKey = key;
      }
    }
    return best;
  }

  private laneOf(owner: string): T[] {
    let lane = this.lanes.get(owner);
    if (!lane) {
      lane = [];
      this.lanes.set(owner, lane);
      this.arrival.set(owner, ++this.serial);
    }
    return lane;
  }

  private dropIfEmpty(owner: string): void {
    if (this.lanes.get(owner)?.length !== 0) return;
    this.lanes.delete(owner);
    this.arrival.delete(owner);
  }

  /** Bounded memory over months: owners not seen for a long time are forgotten (they count as never served). */
  private forgetOldest(): void {
    if (this.lastServed.size <= this.memory) return;
    const oldest = [...this.lastServed.entries()].sort((a, b) => a[1] - b[1]).slice(0, this.lastServed.size - this.memory);
    for (const [owner] of oldest) if (!this.lanes.has(owner)) this.lastServed.delete(owner);
  }
}
