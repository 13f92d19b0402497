const LEET: Readonly<Record<string, string>> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '@': 'a', '5': 's', '$': 's', '7': 't', '+': 't', '8': 'b', '9': 'g' };

/** Lowercase, accents off, look-alike digits and symbols to letters, everything else to spaces. */
function normalize(text: string): string {
  const folded = text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
  return [...folded].map((char) => LEET[char] ?? (/\p{L}/u.test(char) ? char : ' ')).join('');
}

/** Joins letters spelled out with separators ("n.s.f.w", "n s f w") and squeezes long repeats ("nuuude"). */
function variants(text: string): string[] {
  const words = normalize(text).split(/\s+/).filter(Boolean);
  const joinedSingles = normalize(text).replace(/\b(\p{L})\s+(?=\p{L}\b)/gu, '$1');
  const squeezed = words.map((word) => word.replace(/(\p{L})\1{2,}/gu, '$1$1'));
  const squeezedHard = words.map((word) => word.replace(/(\p{L})\1+/gu, '$1'));
  return [words.join(' '), joinedSingles, squeezed.join(' '), squeezedHard.join(' ')];
}

/**
 * Finds a banned word in a prompt, handling case, accents, leetspeak, spelled-out letters and stretched
 * letters. Words match whole (so "class" does not match "ass"); a banned phrase matches as a phrase.
 */
export function findBannedWord(prompt: string, banned: readonly string[]): string | undefined {
  if (banned.length === 0) return undefined;
  const haystacks = variants(prompt).map((variant) => ` ${variant.replace(/\s+/g, ' ').trim()} `);
  for (const word of banned) {
    const needle = normalize(word).replace(/\s+/g, ' ').trim();
    if (!needle) continue;
    const squeezedNeedle = needle.replace(/(\p{L})\1+/gu, '$1');
    if (haystacks.some((haystack) => haystack.includes(` ${needle} `) || haystack.includes(` ${squeezedNeedle} `))) return word;
  }
  return undefined;
}
