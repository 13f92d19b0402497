const LEET: Readonly<Record<string, string>> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '@': 'a', '5': 's', '$': 's', '7': 't', '+': 't', '8': 'b', '9': 'g' };

/** Lowercase, accents off, look-alike digits and symbols to letters. */
function fold(text: string): string {
  const plain = text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
  return [...plain].map((char) => LEET[char] ?? char).join('');
}

const squeeze = (word: string): string => word.replace(/(\p{L})\1+/gu, '$1');

/** Word lists a prompt could be read as: plain words, words with inner punctuation dropped ("g.o.r.e"). */
function readings(prompt: string): string[][] {
  const folded = fold(prompt);
  const words = folded.split(/[^\p{L}]+/u).filter(Boolean);
  const tokens = folded.split(/\s+/).map((token) => token.replace(/[^\p{L}]/gu, '')).filter(Boolean);
  return [words, tokens, words.map(squeeze), tokens.map(squeeze)];
}

/** Letters spelled out one by one ("n s f w"): every run of two or more single letters, joined. */
function spelledOut(words: readonly string[]): string[] {
  const joined: string[] = [];
  for (let start = 0; start < words.length; start++) {
    let run = '';
    for (let end = start; end < words.length && [...(words[end] as string)].length === 1; end++) {
      run += words[end];
      if (end > start) joined.push(run);
    }
  }
  return joined;
}

/**
 * Finds a banned word in a prompt, through case, accents, leetspeak, inner punctuation, spelled-out and
 * stretched letters. Words match whole (so "class" does not match "ass"); a banned phrase matches as a phrase.
 */
export function findBannedWord(prompt: string, banned: readonly string[]): string | undefined {
  if (banned.length === 0) return undefined;
  const lines = readings(prompt);
  const spelled = new Set(lines.flatMap(spelledOut).flatMap((word) => [word, squeeze(word)]));
  const haystacks = lines.map((words) => ` ${words.join(' ')} `);
  for (const word of banned) {
    const needle = fold(word).split(/[^\p{L}]+/u).filter(Boolean).join(' ');
    if (!needle) continue;
    const candidates = [needle, needle.split(' ').map(squeeze).join(' ')];
    if (candidates.some((candidate) => haystacks.some((haystack) => haystack.includes(` ${candidate} `)) || spelled.has(candidate))) return word;
  }
  return undefined;
}
