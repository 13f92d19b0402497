import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FairQueue } from '../../src/jobs/fair-queue.js';

interface Item {
  id: string;
  owner: string;
}

/** The specification, naively: each step picks the owner served longest ago (never-served by arrival). */
class ReferenceQueue {
  private readonly lanes = new Map<string, Item[]>();
  private readonly lastServed = new Map<string, number>();
  private readonly arrival = new Map<string, number>();
  private serial = 0;

  push(item: Item): void {
    if (!this.lanes.has(item.owner)) {
      this.lanes.set(item.owner, []);
      this.arrival.set(item.owner, ++this.serial);
    }
    this.lanes.get(item.owner)?.push(item);
  }

  take(accept: (item: Item) => boolean): Item | undefined {
    const skipped = new Set<string>();
    const served = new Map(this.lastServed);
    const cursors = new Map<string, number>();
    let serial = this.serial;
    for (;;) {
      const candidates = [...this.lanes].filter(([owner, lane]) => !skipped.has(owner) && (cursors.get(owner) ?? 0) < lane.length);
      const key = (owner: string): [number, number] => [served.get(owner) ?? -Infinity, this.arrival.get(owner) ?? 0];
      candidates.sort(([a], [b]) => key(a)[0] - key(b)[0] || key(a)[1] - key(b)[1]);
      const [owner, lane] = candidates[0] ?? [];
      if (!owner || !lane) return undefined;
      const index = cursors.get(owner) ?? 0;
      const item = lane[index] as Item;
      if (accept(item)) {
        lane.splice(index, 1);
        if (lane.length === 0) {
          this.lanes.delete(owner);
          this.arrival.delete(owner);
        }
        this.lastServed.set(owner, ++this.serial);
        return item;
      }
      skipped.add(owner);
      served.set(owner, ++serial);
    }
  }
}

describe('FairQueue.take', () => {
  it('takes what the naive specification takes, whatever is declined (property)', () => {
    const action = fc.oneof(
      fc.record({ kind: fc.constant('push' as const), owner: fc.integer({ min: 0, max: 6 }) }),
      fc.record({ kind: fc.constant('take' as const), declined: fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 4 }) }),
    );
    fc.assert(fc.property(fc.array(action, { maxLength: 80 }), (actions) => {
      const queue = new FairQueue<Item>((item) => item.owner);
      const reference = new ReferenceQueue();
      let next = 0;
      for (const step of actions) {
        if (step.kind === 'push') {
          const item = { id: `i${next++}`, owner: `o${step.owner}` };
          queue.push(item);
          reference.push({ ...item });
          continue;
        }
        const accept = (item: Item): boolean => !step.declined.includes(Number(item.owner.slice(1)));
        expect(queue.take(accept)?.id).toBe(reference.take(accept)?.id);
      }
    }), { numRuns: 300, seed: 7 });
  });

  it('stays fast with 1,000 owners when every item is declined (all servers busy)', () => {
    const queue = new FairQueue<Item>((item) => item.owner);
    for (let owner = 0; owner < 1_000; owner++) queue.push({ id: `i${owner}`, owner: `o${owner}` });
    const times: number[] = [];
    for (let round = 0; round < 7; round++) {
      const start = performance.now();
      queue.take(() => false);
      times.push(performance.now() - start);
    }
    // Scanning every owner on every visit took about 30 ms here; the heap walk takes about 0.3 ms.
    expect(times.sort((a, b) => a - b)[3]).toBeLessThan(5);
    expect(queue.size).toBe(1_000);
  });
});

describe('FairQueue.unshift', () => {
  it('puts a returned item before owners who arrived meanwhile, returned items in their first order', () => {
    const queue = new FairQueue<{ id: string; owner: string; at: number }>((item) => item.owner, 10_000, (item) => item.at);
    queue.push({ id: 'a1', owner: 'ann', at: 1 });
    queue.push({ id: 'b1', owner: 'bob', at: 2 });
    const first = queue.shift();
    const second = queue.shift();
    queue.push({ id: 'c1', owner: 'cy', at: 3 });
    // Both went to a server that then lost them; they come back in the order they were first queued.
    queue.unshift(second as { id: string; owner: string; at: number });
    queue.unshift(first as { id: string; owner: string; at: number });
    expect(queue.ordered().map((item) => item.id)).toEqual(['a1', 'b1', 'c1']);
  });
});

describe('FairQueue.unshift of several items of one owner', () => {
  it('keeps them in their first order, before a job that arrived while they were out (a ComfyUI restart)', () => {
    const queue = new FairQueue<{ id: string; owner: string; at: number }>((item) => item.owner, 10_000, (item) => item.at);
    for (const [id, at] of [['x1', 1], ['x2', 2], ['x3', 3]] as const) queue.push({ id, owner: 'x', at });
    const out = [queue.shift(), queue.shift(), queue.shift()] as Array<{ id: string; owner: string; at: number }>;
    queue.push({ id: 'y1', owner: 'y', at: 4 });
    for (const item of out) queue.unshift(item);
    expect(queue.ordered().map((item) => item.id)).toEqual(['x1', 'x2', 'x3', 'y1']);
    expect(queue.positionOf('x2')).toBe(2);
    expect(queue.positionOf('y1')).toBe(4);
    expect(queue.head(2).map((item) => item.id)).toEqual(['x1', 'x2']);
    expect(queue.countFor('x')).toBe(3);
    expect(queue.take((item) => item.id !== 'x1')?.id).toBe('y1');
  });
});
