import { describe, expect, it } from 'vitest';
import { findBannedWord } from '../../src/policy/banned-words.js';

const BANNED = ['nsfw', 'gore', 'blood bath'];

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz';
/** "a b c … z a b …": one run of single letters, `count` long. */
const spelledAlphabet = (count: number): string[] => Array.from({ length: count }, (_, i) => ALPHABET[i % 26] as string);
/** 50 words, most a near miss for a spelled-out alphabet ("abcdefa", "fedcba"). */
const FIFTY = [
  ...BANNED,
  ...Array.from({ length: 26 }, (_, i) => `${(ALPHABET + ALPHABET).slice(i, i + 6)}${ALPHABET[i] as string}`),
  ...Array.from({ length: 21 }, (_, i) => [...ALPHABET.slice(i, i + 6)].reverse().join('')),
];

describe('findBannedWord', () => {
  it.each([
    'NSFW cat', 'n.s.f.w cat', 'n s f w', 'a g.o.r.e scene', 'a n s f w cat', 'nsfw!!!', 'n5fw', 'G0RE', 'gooooore', 'gÖre', 'a BLOOD   bath scene', 'bl00d b4th',
  ])('finds the banned word in %j', (prompt) => {
    expect(findBannedWord(prompt, BANNED)).toBeDefined();
  });

  it.each(['gorgeous sunset', 'a classic car', 'bloodhound in a bath', 'nsfwish'])('leaves %j alone', (prompt) => {
    expect(findBannedWord(prompt, BANNED)).toBeUndefined();
  });

  it('reads 2,000 spelled-out letters in time linear in the prompt', () => {
    const prompt = spelledAlphabet(2000).join(' ');
    expect(prompt.length).toBeGreaterThanOrEqual(3999);
    expect(FIFTY).toHaveLength(50);
    const started = performance.now();
    expect(findBannedWord(prompt, FIFTY)).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('finds a word spelled out inside a long run of letters, as is or stretched', () => {
    const letters = spelledAlphabet(1000);
    expect(findBannedWord([...letters.slice(0, 500), 'n', 's', 'f', 'w', ...letters.slice(500)].join(' '), FIFTY)).toBe('nsfw');
    expect(findBannedWord([...letters.slice(0, 500), 'g', 'o', 'o', 'r', 'e', ...letters.slice(500)].join(' '), FIFTY)).toBe('gore');
  });

  it('leaves a long run of letters alone when the word is not spelled out in it', () => {
    const letters = spelledAlphabet(1000);
    expect(findBannedWord([...letters.slice(0, 500), 'n', 's', 'f', 'x', 'w', ...letters.slice(500)].join(' '), FIFTY)).toBeUndefined();
  });

  it('names the first banned word of the list that the prompt holds', () => {
    expect(findBannedWord('gore and nsfw', ['x', 'gore', 'nsfw'])).toBe('gore');
    expect(findBannedWord('g o r e and n s f w', ['nsfw', 'gore'])).toBe('nsfw');
  });
});

describe('look-alike letters of other scripts', () => {
  it('reads Cyrillic and Greek look-alikes, small capitals and regional indicators as Latin letters', () => {
    expect(findBannedWord('a g\u043Ere scene', ['gore'])).toBe('gore');
    expect(findBannedWord('n\u0455fw', ['nsfw'])).toBe('nsfw');
    expect(findBannedWord('\u03BFgre', ['ogre'])).toBe('ogre');
    expect(findBannedWord('\u0262\u1D0F\u0280\u1D07', ['gore'])).toBe('gore');
    expect(findBannedWord('\u{1F1EC}\u{1F1F4}\u{1F1F7}\u{1F1EA}', ['gore'])).toBe('gore');
    expect(findBannedWord('a quiet ogre', ['gore'])).toBeUndefined();
  });
});
