type Step = 'next' | 'skip-owner' | 'stop';

/** An owner's place in the fair order: served longest ago first, then (never served) by arrival. */
interface Turn {
  owner: string;
  served: number;
  arrival: number;
}

const before = (a: Turn, b: Turn): boolean => a.served < b.served || (a.served === b.served && a.arrival < b.arrival);

/** Binary min-heap (by `before`), in place. */
function heapify(turns: Turn[]): Turn[] {
  for (let index = (turns.length >> 1) - 1; index >= 0; index--) siftDown(turns, index);
  return turns;
}

function siftDown(heap: Turn[], start: number): void {
  for (let index = start; ;) {
    const left = 2 * index + 1;
    const right = left + 1;
    let least = index;
    if (left < heap.length && before(heap[left] as Turn, heap[least] as Turn)) least = left;
    if (right < heap.length && before(heap[right] as Turn, heap[least] as Turn)) least = right;
    if (least === index) return;
    [heap[index], heap[least]] = [heap[least] as Turn, heap[index] as Turn];
    index = least;
  }
}

/** Removes and returns the first turn of a non-empty heap. */
function popFirst(heap: Turn[]): Turn {
  const first = heap[0] as Turn;
  const last = heap.pop() as Turn;
  if (heap.length > 0) {
    heap[0] = last;
    siftDown(heap, 0);
  }
  return first;
}

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
  /**
   * Items that were handed out and came back (a failed submit, a prompt ComfyUI lost in a restart): they were
   * served already, so they go first, in the order they were first queued (`rankOf`), before any lane.
   */
  private readonly returned: T[] = [];
  private serial = 0;
  private count = 0;

  /** `rankOf` orders items put back with `unshift` among themselves (the scheduler uses creation time). */
  constructor(private readonly ownerOf: (item: T) => string, private readonly memory = 10_000, private readonly rankOf?: (item: T) => number) {}

  get size(): number {
    return this.count;
  }

  countFor(owner: string): number {
    return (this.lanes.get(owner)?.length ?? 0) + this.returned.filter((item) => this.ownerOf(item) === owner).length;
  }

  push(item: T): void {
    this.laneOf(this.ownerOf(item)).push(item);
    this.count++;
  }

  /** Puts back an item that was handed out (see `returned`): it goes before everything still waiting. */
  unshift(item: T): void {
    const rank = this.rankOf?.(item) ?? -Infinity;
    const at = this.returned.findIndex((other) => (this.rankOf?.(other) ?? -Infinity) > rank);
    this.returned.splice(at < 0 ? this.returned.length : at, 0, item);
    this.count++;
  }

  shift(): T | undefined {
    return this.take(() => true);
  }

  /**
   * Takes the first item, in fair order, that `accept` agrees to (it may have side effects, such as reserving
   * room for the item). A declined item keeps its place, and so do the later items of its owner (FIFO per member).
   */
  take(accept: (item: T) => boolean): T | undefined {
    const declined = new Set<string>();
    for (const [index, item] of this.returned.entries()) {
      const owner = this.ownerOf(item);
      if (declined.has(owner)) continue;
      if (!accept(item)) {
        declined.add(owner);
        continue;
      }
      this.returned.splice(index, 1);
      this.count--;
      return item;
    }
    let taken: { owner: string; index: number } | undefined;
    this.walk((item, owner, index) => {
      if (declined.has(owner) || !accept(item)) return 'skip-owner';
      taken = { owner, index };
      return 'stop';
    });
    if (!taken) return undefined;
    const lane = this.lanes.get(taken.owner) as T[];
    const [item] = lane.splice(taken.index, 1);
    this.count--;
    this.dropIfEmpty(taken.owner);
    this.lastServed.set(taken.owner, ++this.serial);
    this.forgetOldest();
    return item;
  }

  remove(id: string): T | undefined {
    const back = this.returned.findIndex((item) => item.id === id);
    if (back >= 0) {
      this.count--;
      return this.returned.splice(back, 1)[0];
    }
    for (const [owner, lane] of this.lanes) {
      const index = lane.findIndex((item) => item.id === id);
      if (index < 0) continue;
      const [removed] = lane.splice(index, 1);
      this.count--;
      this.dropIfEmpty(owner);
      return removed;
    }
    return undefined;
  }

  /** Every item in the order `shift()` would return them. */
  ordered(): T[] {
    const result: T[] = [...this.returned];
    this.walk((item) => {
      result.push(item);
      return 'next';
    });
    return result;
  }

  /** The first `count` items in run order, without walking the rest. */
  head(count: number): T[] {
    const result: T[] = this.returned.slice(0, count);
    if (result.length < count) {
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
    const back = this.returned.findIndex((item) => item.id === id);
    if (back >= 0) return back + 1;
    let target: { owner: string; index: number } | undefined;
    for (const [owner, lane] of this.lanes) {
      const index = lane.findIndex((item) => item.id === id);
      if (index >= 0) target = { owner, index };
    }
    if (!target) return 0;
    const { owner, index } = target;
    const turn = this.turnOf(owner);
    let position = 1 + this.returned.length;
    for (const [other, lane] of this.lanes) {
      position += Math.min(lane.length, index);
      if (other !== owner && lane.length > index && before(this.turnOf(other), turn)) position++;
    }
    return position;
  }

  /**
   * Visits waiting items in fair order, as if each visit were a serve, without changing anything. The first round
   * comes from a heap of the owners' turns; a visit counts as a serve, which puts that owner behind everyone, so
   * later rounds are a plain FIFO. O(owners + visits · log owners), where scanning every owner per visit was quadratic.
   */
  private walk(visit: (item: T, owner: string, index: number) => Step): void {
    const firstRound = heapify([...this.lanes.keys()].map((owner) => this.turnOf(owner)));
    const later: string[] = [];
    const cursors = new Map<string, number>();
    for (let next = 0; ;) {
      const owner = firstRound.length > 0 ? popFirst(firstRound).owner : later[next++];
      if (owner === undefined) return;
      const lane = this.lanes.get(owner) as T[];
      const index = cursors.get(owner) ?? 0;
      const step = visit(lane[index] as T, owner, index);
      if (step === 'stop') return;
      if (step === 'next' && index + 1 < lane.length) {
        cursors.set(owner, index + 1);
        later.push(owner);
      }
    }
  }

  private turnOf(owner: string): Turn {
    return { owner, served: this.lastServed.get(owner) ?? -Infinity, arrival: this.arrival.get(owner) ?? 0 };
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
