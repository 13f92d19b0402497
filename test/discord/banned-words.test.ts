import { describe, expect, it } from 'vitest';
import { findBannedWord } from '../../src/discord/banned-words.js';

const BANNED = ['nsfw', 'gore', 'blood bath'];

describe('findBannedWord', () => {
  it.each([
    'NSFW cat', 'n.s.f.w cat', 'n s f w', 'a g.o.r.e scene', 'a n s f w cat', 'nsfw!!!', 'n5fw', 'G0RE', 'gooooore', 'gÖre', 'a BLOOD   bath scene', 'bl00d b4th',
  ])('finds the banned word in %j', (prompt) => {
    expect(findBannedWord(prompt, BANNED)).toBeDefined();
  });

  it.each(['gorgeous sunset', 'a classic car', 'bloodhound in a bath', 'nsfwish'])('leaves %j alone', (prompt) => {
    expect(findBannedWord(prompt, BANNED)).toBeUndefined();
  });
});
