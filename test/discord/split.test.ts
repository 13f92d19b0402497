import { describe, expect, it } from 'vitest';
import { splitWithin } from '../../src/discord/split.js';

describe('splitWithin', () => {
  it('keeps a batch that fits in one message', () => {
    expect(splitWithin([100, 100, 100, 100], 1_000, 4)).toEqual([[0, 1, 2, 3]]);
  });

  it('splits in order when the room runs out, at most perMessage each', () => {
    expect(splitWithin([400, 400, 400, 400], 1_000, 4)).toEqual([[0, 1], [2, 3]]);
    expect(splitWithin([1, 1, 1, 1, 1], 1_000, 2)).toEqual([[0, 1], [2, 3], [4]]);
  });

  it('gives an output too large alone a message of its own, and counts unknown sizes as a fair share', () => {
    expect(splitWithin([100, 5_000, 100], 1_000, 4)).toEqual([[0], [1], [2]]);
    expect(splitWithin([undefined, undefined, undefined], 900, 4)).toEqual([[0, 1, 2]]);
  });
});
