/**
 * Which outputs go in which message: in order, as many as fit the room (and at most `perMessage`), so a batch that
 * does not fit one upload is split over several messages at full quality instead of all being shrunk. An output
 * of unknown size counts as its even share of the room; one too large alone gets a message of its own (and is
 * shrunk there).
 */
export function splitWithin(sizes: ReadonlyArray<number | undefined>, room: number, perMessage: number): number[][] {
  const share = room / Math.max(1, sizes.length);
  const groups: number[][] = [];
  let current: number[] = [];
  let used = 0;
  sizes.forEach((known, index) => {
    const size = known ?? share;
    if (current.length > 0 && (used + size > room || current.length >= perMessage)) {
      groups.push(current);
      current = [];
      used = 0;
    }
    current.push(index);
    used += size;
  });
  if (current.length > 0) groups.push(current);
  return groups;
}
