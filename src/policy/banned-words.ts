const LEET: Readonly<Record<string, string>> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '@': 'a', '5': 's', '$': 's', '7': 't', '+': 't', '8': 'b', '9': 'g' };

/**
 * Letters of other scripts that look like Latin ones (Cyrillic, Greek, small capitals): "gоre" with a Cyrillic
 * о reads as "gore". NFKD does not fold these; lowercasing has already run.
 */
const LOOKALIKES: Readonly<Record<string, string>> = Object.fromEntries([
  ['а', 'a'], ['в', 'b'], ['с', 'c'], ['ԁ', 'd'], ['е', 'e'], ['ё', 'e'], ['һ', 'h'], ['і', 'i'], ['ї', 'i'], ['ј', 'j'], ['к', 'k'],
  ['м', 'm'], ['н', 'h'], ['о', 'o'], ['р', 'p'], ['ѕ', 's'], ['т', 't'], ['у', 'y'], ['х', 'x'], ['ԛ', 'q'], ['ԝ', 'w'],
  ['α', 'a'], ['β', 'b'], ['ε', 'e'], ['η', 'n'], ['ι', 'i'], ['κ', 'k'], ['ν', 'v'], ['ο', 'o'], ['ρ', 'p'], ['τ', 't'], ['υ', 'u'], ['χ', 'x'],
  ['ᴀ', 'a'], ['ʙ', 'b'], ['ᴄ', 'c'], ['ᴅ', 'd'], ['ᴇ', 'e'], ['ꜰ', 'f'], ['ɢ', 'g'], ['ʜ', 'h'], ['ɪ', 'i'], ['ᴊ', 'j'], ['ᴋ', 'k'],
  ['ʟ', 'l'], ['ᴍ', 'm'], ['ɴ', 'n'], ['ᴏ', 'o'], ['ᴘ', 'p'], ['ǫ', 'q'], ['ʀ', 'r'], ['ꜱ', 's'], ['ᴛ', 't'], ['ᴜ', 'u'], ['ᴠ', 'v'],
  ['ᴡ', 'w'], ['ʏ', 'y'], ['ᴢ', 'z'], ['ɡ', 'g'],
]);
const LOOKALIKE_PATTERN = new RegExp(`[${Object.keys(LOOKALIKES).join('')}]`, 'gu');
/** Regional indicator symbols 🇦…🇿 (shown as flags in pairs) read as the letters a…z. */
const REGIONAL_INDICATORS = /[\u{1F1E6}-\u{1F1FF}]/gu;

/** Lowercase, accents off, look-alike letters, digits and symbols to Latin letters. */
function fold(text: string): string {
  const plain = text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase()
    .replace(LOOKALIKE_PATTERN, (char) => LOOKALIKES[char] ?? char)
    .replace(REGIONAL_INDICATORS, (char) => String.fromCharCode(97 + (char.codePointAt(0) as number) - 0x1f1e6));
  return plain.replace(/[013-57-9@$+]/g, (char) => LEET[char] ?? char);
}

/** Stretched letters squeezed: "goooore" to "gore". */
const squeeze = (word: string): string => word.replace(/(\p{L})\1+/gu, '$1');

/** Each word squeezed, in one regex pass rather than one per word (spaces part letters, so none run across). */
const squeezeEach = (words: readonly string[]): string[] => squeeze(words.join(' ')).split(' ').filter(Boolean);

/** Word lists a prompt could be read as: plain words, words with inner punctuation dropped ("g.o.r.e"). */
function readings(prompt: string): string[][] {
  const folded = fold(prompt);
  const words = folded.split(/[^\p{L}]+/u).filter(Boolean);
  const tokens = folded.replace(/[^\p{L}\s]/gu, '').split(/\s+/).filter(Boolean);
  return [words, tokens, squeezeEach(words), squeezeEach(tokens)];
}

const isSingleLetter = (word: string): boolean => word.length <= 2 && [...word].length === 1;

/** Letters spelled out one by one ("n s f w"): each maximal run of two or more single letters, joined ("nsfw"). */
function letterRuns(words: readonly string[]): string[] {
  const runs: string[] = [];
  let run: string[] = [];
  for (const word of [...words, '']) {
    if (isSingleLetter(word)) {
      run.push(word);
      continue;
    }
    if (run.length >= 2) runs.push(run.join(''));
    run = [];
  }
  return runs;
}

/** Aho–Corasick automaton over UTF-16 code units: finds the lowest id of the patterns in a text in one pass. */
class Automaton {
  private readonly next: Array<Map<number, number>> = [new Map()];
  private readonly fail: number[] = [0];
  /** Per node, the lowest id of a pattern ending there, through fail links too. */
  private readonly lowest: number[] = [Infinity];

  constructor(patterns: ReadonlyArray<readonly [pattern: string, id: number]>) {
    for (const [pattern, id] of patterns) this.add(pattern, id);
    this.link();
  }

  private add(pattern: string, id: number): void {
    let node = 0;
    for (let i = 0; i < pattern.length; i++) {
      const edges = this.next[node] as Map<number, number>;
      let child = edges.get(pattern.charCodeAt(i));
      if (child === undefined) {
        child = this.next.push(new Map()) - 1;
        this.fail.push(0);
        this.lowest.push(Infinity);
        edges.set(pattern.charCodeAt(i), child);
      }
      node = child;
    }
    this.lowest[node] = Math.min(this.lowest[node] as number, id);
  }

  /** Breadth first, so a node's fail target is linked before the node. */
  private link(): void {
    const queue = [...(this.next[0] as Map<number, number>).values()];
    for (let head = 0; head < queue.length; head++) {
      const node = queue[head] as number;
      for (const [code, child] of this.next[node] as Map<number, number>) {
        const target = this.step(this.fail[node] as number, code);
        this.fail[child] = target;
        this.lowest[child] = Math.min(this.lowest[child] as number, this.lowest[target] as number);
        queue.push(child);
      }
    }
  }

  private step(from: number, code: number): number {
    let node = from;
    while (node !== 0 && !(this.next[node] as Map<number, number>).has(code)) node = this.fail[node] as number;
    return (this.next[node] as Map<number, number>).get(code) ?? 0;
  }

  /** The lowest id below `bound` of a pattern found in the text; `bound` if none. */
  search(text: string, bound: number): number {
    let found = bound;
    let node = 0;
    for (let i = 0; i < text.length && found > 0; i++) {
      node = this.step(node, text.charCodeAt(i));
      found = Math.min(found, this.lowest[node] as number);
    }
    return found;
  }
}

interface Matcher {
  /** Whole words and phrases, as " word " in a reading joined by spaces. */
  words: Automaton;
  /** Single words inside a run of spelled-out letters. */
  letters: Automaton;
}

/** Keyed by the list itself: the config's list is one array for the life of the process. */
const matchers = new WeakMap<readonly string[], Matcher>();

function compile(banned: readonly string[]): Matcher {
  const words: Array<[string, number]> = [];
  const letters: Array<[string, number]> = [];
  banned.forEach((word, id) => {
    const needle = fold(word).split(/[^\p{L}]+/u).filter(Boolean).join(' ');
    if (!needle) return;
    for (const candidate of [needle, needle.split(' ').map(squeeze).join(' ')]) {
      words.push([` ${candidate} `, id]);
      if (!candidate.includes(' ')) letters.push([candidate, id]);
    }
  });
  return { words: new Automaton(words), letters: new Automaton(letters) };
}

function matcherFor(banned: readonly string[]): Matcher {
  let matcher = matchers.get(banned);
  if (!matcher) matchers.set(banned, (matcher = compile(banned)));
  return matcher;
}

/**
 * Finds a banned word in a prompt, through case, accents, leetspeak, inner punctuation, spelled-out and
 * stretched letters. Words match whole (so "class" does not match "ass"); a banned phrase matches as a phrase.
 * Linear in the prompt's length: each reading is scanned once for all the banned words together.
 */
export function findBannedWord(prompt: string, banned: readonly string[]): string | undefined {
  if (banned.length === 0) return undefined;
  const matcher = matcherFor(banned);
  const lines = readings(prompt);
  let found = Infinity;
  for (const words of lines) found = matcher.words.search(` ${words.join(' ')} `, found);
  // A word spelled out anywhere in a run ("x n s f w y"), as is or stretched ("n n s f f w"): searching the run
  // and the run squeezed finds what every sub-run and its squeeze would.
  for (const run of lines.flatMap(letterRuns)) found = matcher.letters.search(squeeze(run), matcher.letters.search(run, found));
  return Number.isFinite(found) ? banned[found] : undefined;
}
