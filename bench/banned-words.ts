import { findBannedWord } from '../src/policy/banned-words.js';

/**
 * `npx tsx bench/banned-words.ts`: findBannedWord on 4,000-character adversarial prompts with 50 banned words,
 * beside a floor measured in the same run: `prompt.toLowerCase().includes('x')` on the same prompt.
 */

const RUNS = 200;
const WARM_UP = 20;
const LENGTH = 4000;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz';

/** 50 words, most a near miss for a spelled-out alphabet ("abcdefa", "fedcba"). */
const BANNED = [
  'nsfw', 'gore', 'blood bath',
  ...Array.from({ length: 26 }, (_, i) => `${(ALPHABET + ALPHABET).slice(i, i + 6)}${ALPHABET[i] as string}`),
  ...Array.from({ length: 21 }, (_, i) => [...ALPHABET.slice(i, i + 6)].reverse().join('')),
];

/** `unit` repeated up to LENGTH characters. */
const cycle = (unit: string): string => unit.repeat(Math.ceil(LENGTH / unit.length)).slice(0, LENGTH);

const PROMPTS: Record<string, string> = {
  'spelled alphabet "a b c …"': cycle([...ALPHABET].join(' ') + ' '),
  'near miss "n.s.f.x n.s.f.x …"': cycle('n.s.f.x '),
  'stretched "aaaa…" (one word)': cycle('a'),
  'stretched pairs "aa bb cc …"': cycle([...ALPHABET].map((letter) => letter + letter).join(' ') + ' '),
  'leet and accents "é 5 ö 4 …"': cycle('é 5 ö 4 ñ 0 ü 3 '),
  'last banned word, spelled at the end': `${cycle([...ALPHABET].join(' ') + ' ').slice(0, LENGTH - 12)} ${[...(BANNED.at(-1) as string)].join(' ')}`,
};

/** Sorted times of RUNS calls after WARM_UP; each time the mean of `batch` back-to-back calls (the floor is too quick to time one). */
function time(run: () => unknown, batch = 1): number[] {
  for (let i = 0; i < WARM_UP * batch; i++) run();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    for (let j = 0; j < batch; j++) run();
    times.push((performance.now() - started) / batch);
  }
  return times.sort((a, b) => a - b);
}

const median = (sorted: readonly number[]): number => sorted[Math.floor(sorted.length / 2)] as number;
const ms = (value: number, digits = 2): string => value.toFixed(digits);

let sink = 0;
console.log(`findBannedWord, ${BANNED.length} banned words, ${RUNS} runs after ${WARM_UP} warm-up runs; times in ms`);
console.log('| prompt | chars | found | first call | median | max | floor median (mean of 100) | median / floor |');
console.log('|---|---|---|---|---|---|---|---|');
for (const [name, prompt] of Object.entries(PROMPTS)) {
  const first = performance.now();
  const found = findBannedWord(prompt, BANNED);
  const cold = performance.now() - first;
  const times = time(() => findBannedWord(prompt, BANNED));
  const floor = time(() => (sink += prompt.toLowerCase().includes('x') ? 1 : 0), 100);
  console.log(`| ${name} | ${prompt.length} | ${found ?? '-'} | ${ms(cold)} | ${ms(median(times))} | ${ms(times.at(-1) as number)} | ${ms(median(floor), 4)} | ${(median(times) / median(floor)).toFixed(0)}× |`);
}
if (sink < 0) console.log(sink);
