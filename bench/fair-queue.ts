import { FairQueue } from '../src/jobs/fair-queue.js';

/**
 * `npx tsx bench/fair-queue.ts`: the cost of one `take()` with many owners waiting, beside a floor (visiting an
 * array of the same length), so the figures mean something on any machine.
 */

interface Item {
  id: string;
  owner: string;
}

const OWNERS = Number(process.argv[2] ?? 1_000);
const ROUNDS = 200;

function filled(owners: number): FairQueue<Item> {
  const queue = new FairQueue<Item>((item) => item.owner);
  for (let round = 0; round < 2; round++) for (let owner = 0; owner < owners; owner++) queue.push({ id: `i${round}-${owner}`, owner: `o${owner}` });
  // Serve half the owners once, so both never-served and served owners take part in the order.
  for (let served = 0; served < owners / 2; served++) {
    const item = queue.shift() as Item;
    queue.push({ ...item, id: `${item.id}'` });
  }
  return queue;
}

function msPer(rounds: number, work: () => void): number {
  work();
  const start = performance.now();
  for (let round = 0; round < rounds; round++) work();
  return (performance.now() - start) / rounds;
}

const queue = filled(OWNERS);
const array = Array.from({ length: OWNERS }, (_, index) => index);
let sink = 0;
const floor = msPer(ROUNDS * 10, () => {
  for (const value of array) sink += value;
});
// Every server busy: each owner's head is offered and declined.
const declined = msPer(ROUNDS, () => {
  queue.take(() => false);
});
// The first item fits: taken, then pushed back so the queue keeps its size.
const accepted = msPer(ROUNDS, () => {
  const item = queue.take(() => true) as Item;
  queue.push(item);
});

const row = (name: string, ms: number): string => `| ${name} | ${ms.toFixed(4)} | ${(ms / floor).toFixed(0)}× |`;
console.log(`FairQueue.take with ${OWNERS} owners (${queue.size} items), node ${process.version}`);
console.log('| case | ms per call | × floor |');
console.log('|---|---|---|');
console.log(row(`floor: iterate a ${OWNERS}-element array`, floor));
console.log(row('take, all declined (busy)', declined));
console.log(row('take, first accepted', accepted));
if (sink < 0) console.log(sink);
