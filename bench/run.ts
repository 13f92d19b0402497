import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ComfySim, type SimOptions } from '../test/fakes/comfy/sim.js';
import { FakeDiscord } from '../test/fakes/discord/fake-discord.js';
import { snowflake } from '../test/fakes/discord/payloads.js';
import { BotProcess } from '../test/e2e/harness.js';
import { floorRun } from './real.js';
import { waitFor } from '../test/helpers.js';

/**
 * `npm run bench`: the real bot and a naive baseline bot (bench/baseline-bot.ts), each as its own process,
 * against the ComfyUI simulator and the fake Discord on 127.0.0.1. Prints one table of figures.
 */

type Kind = 'bot' | 'baseline';
/** Both built (`npm run bench` builds first); the bot with `npm start`'s node flags, the baseline with none. */
const ENTRY: Record<Kind, string> = { bot: 'dist/src/index.js', baseline: 'dist/bench/baseline-bot.js' };
const BENCH_TEMPLATES = fileURLToPath(new URL('./templates/', import.meta.url));

interface Rig {
  sims: ComfySim[];
  discord: FakeDiscord;
  process: BotProcess;
  stop(): Promise<void>;
}

async function rig(kind: Kind, sims: Array<Partial<SimOptions>>, env: Record<string, string> = {}, discordOptions: ConstructorParameters<typeof FakeDiscord>[0] = {}): Promise<Rig> {
  const started = await Promise.all(sims.map((options) => new ComfySim(options).start()));
  const discord = await new FakeDiscord({ heartbeatIntervalMs: 30_000, ...discordOptions }).start();
  discord.setMaxListeners(0);
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-'));
  const process = new BotProcess({
    DISCORD_TOKEN: discord.validToken, DISCORD_APP_ID: discord.appId, DISCORD_GUILD_ID: discord.guildId, DISCORD_API_URL: discord.apiUrl,
    COMFYUI_URL: started.map((sim) => sim.url).join(','), DATA_DIR: dataDir, LOG_LEVEL: 'warn', JOBS_PER_HOUR: '0', MAX_WAITING_PER_USER: '1000',
    SUBMITS_PER_MINUTE: '10000', TEMPLATES_DIR: BENCH_TEMPLATES, ...env,
  }, ENTRY[kind], kind === 'bot' ? undefined : []);
  process.start();
  try {
    if (kind === 'bot') await discord.waitForRequest((request) => request.method === 'PUT', 30_000, 'the bot to start');
    else await process.waitForLog(/logged in/, 30_000);
  } catch (error) {
    throw new Error(`${kind} did not start: ${process.output.slice(-2000)}`, { cause: error });
  }
  return {
    sims: started, discord, process,
    async stop() {
      await process.stop();
      await discord.stop();
      for (const sim of started) await sim.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

function users(count: number): Array<{ id: string; username: string }> {
  return Array.from({ length: count }, (_, index) => ({ id: snowflake(), username: `member${index}` }));
}

function dispatch(rig: Rig, count: number, label: string, members = users(8), extra: Array<{ name: string; type: number; value: unknown }> = []) {
  return Array.from({ length: count }, (_, index) => {
    const prompt = `${label} ${index}`;
    const sent = rig.discord.chatInput('imagine', [{ name: 'prompt', type: 3, value: prompt }, ...extra], members[index % members.length] as { id: string; username: string });
    return { prompt, ...sent };
  });
}

function uploadOf(rig: Rig, token: string) {
  return rig.discord.requests.find((request) => request.files.length > 0 && request.path.includes(token));
}

async function allDelivered(rig: Rig, jobs: Array<{ token: string }>, timeoutMs: number): Promise<void> {
  await waitFor(() => jobs.every((job) => uploadOf(rig, job.token)), `${jobs.length} deliveries`, timeoutMs);
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
}

async function rssMiB(pid: number | undefined): Promise<number> {
  if (pid === undefined) return NaN;
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
}

/** Samples RSS every 20 ms while `during` runs; returns the peak. */
async function peakRss(pid: number | undefined, during: Promise<unknown>): Promise<number> {
  let peak = 0;
  let done = false;
  void during.finally(() => (done = true));
  while (!done) {
    peak = Math.max(peak, await rssMiB(pid));
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Math.max(peak, await rssMiB(pid));
}

interface LatencyFigures {
  p50: number;
  p99: number;
  max: number;
  /** The same figures for a minimal reference client (executed → /view → upload) in the same run. */
  floor: { p50: number; p99: number; max: number };
  idle: number;
  requestsPerJob: number;
}

/** Delivery latency (simulator's finish → last byte at the fake Discord), GPU idle with a backlog, requests per job. */
async function latencyScenario(kind: Kind, jobs: number): Promise<LatencyFigures> {
  const r = await rig(kind, [{ runMs: 100, imageWidth: 260, imageHeight: 260 }]);
  try {
    const sim = r.sims[0] as ComfySim;
    const before = sim.requests.length;
    const sent = dispatch(r, jobs, `${kind} latency`);
    await allDelivered(r, sent, 120_000);
    const finishedBy = new Map<string, number>();
    for (const body of sim.submitted) {
      const text = String((body as { prompt: Record<string, { inputs: Record<string, unknown> }> }).prompt['6']?.inputs['text']);
      finishedBy.set(text, sim.prompts.get(String(body['prompt_id']))?.finishedAt ?? NaN);
    }
    const latencies = sent.map((job) => (uploadOf(r, job.token)?.at ?? NaN) - (finishedBy.get(job.prompt) ?? NaN));
    const runs = [...sim.prompts.values()].filter((record) => record.startedAt !== undefined).sort((a, b) => (a.startedAt as number) - (b.startedAt as number));
    let idle = 0;
    for (let i = 1; i < runs.length; i++) idle += Math.max(0, (runs[i]?.startedAt as number) - (runs[i - 1]?.finishedAt as number));
    const span = (runs.at(-1)?.finishedAt as number) - (runs[0]?.startedAt as number);
    const requestsPerJob = (sim.requests.length - before) / jobs;
    const floor = kind === 'bot' ? await floorLatency(r, sim, jobs) : { p50: NaN, p99: NaN, max: NaN };
    return { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), max: Math.max(...latencies), floor, idle: idle / span, requestsPerJob };
  } finally {
    await r.stop();
  }
}

/** The floor for delivery latency: the same jobs on the same simulator by a client that does nothing else. */
async function floorLatency(r: Rig, sim: ComfySim, jobs: number): Promise<{ p50: number; p99: number; max: number }> {
  const texts = Array.from({ length: jobs }, (_, index) => `floor ${index}`);
  const template = (JSON.parse(await readFile(fileURLToPath(new URL('../workflows/txt2img.json', import.meta.url)), 'utf8')) as { workflow: Record<string, { inputs: Record<string, unknown> }> }).workflow;
  const workflow = (text: string, index: number): Record<string, unknown> => {
    const copy = structuredClone(template);
    (copy['6'] as { inputs: Record<string, unknown> }).inputs['text'] = text;
    (copy['3'] as { inputs: Record<string, unknown> }).inputs['seed'] = index + 1;
    (copy['4'] as { inputs: Record<string, unknown> }).inputs['ckpt_name'] = 'sd_xl_base_1.0.safetensors';
    return copy;
  };
  await floorRun(sim.url, r.discord, texts, workflow);
  const finished = new Map([...sim.prompts.values()].map((record) => [record.promptId, record.finishedAt ?? NaN]));
  const latencies = texts.map((text) => {
    const body = sim.submitted.find((sent) => (sent as { prompt: Record<string, { inputs: Record<string, unknown> }> }).prompt['6']?.inputs['text'] === text);
    const upload = r.discord.requests.find((request) => request.files.length > 0 && (request.json as { content?: string } | undefined)?.content === text);
    return (upload?.at ?? NaN) - (finished.get(String(body?.['prompt_id'])) ?? NaN);
  });
  return { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), max: Math.max(...latencies) };
}

/** Dispatch → deferred reply received, for interactions arriving all at once. */
async function ackScenario(kind: Kind, count: number): Promise<{ p50: number; p99: number; max: number }> {
  const r = await rig(kind, [{ runMs: 60_000 }]);
  try {
    const sent = dispatch(r, count, `${kind} ack`, users(count));
    const acks = await Promise.all(sent.map((job) => r.discord.waitForRequest((request) => request.path.includes(job.token) && request.path.endsWith('/callback'), 30_000)));
    const latencies = acks.map((ack, index) => ack.at - (sent[index]?.dispatchedAt as number));
    return { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), max: Math.max(...latencies) };
  } finally {
    await r.stop();
  }
}

/** RSS idle, with 1000 waiting jobs, and while 10 deliveries of 20 MB animations are in flight. */
async function memoryScenario(kind: Kind): Promise<{ idle: number; waiting: number; large: number }> {
  let r = await rig(kind, [{ runMs: 600_000 }], { COMFYUI_MAX_IN_FLIGHT: '1' });
  let figures: { idle: number; waiting: number; large: number };
  try {
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // let start-up work settle before the idle reading
    const idle = await rssMiB(r.process.pid);
    const sent = dispatch(r, 1000, `${kind} memory`, users(100));
    await Promise.all(sent.map((job) => r.discord.waitForRequest((request) => request.path.includes(job.token) && request.path.endsWith('/callback'), 60_000)));
    const waiting = await peakRss(r.process.pid, waitFor(() => r.discord.requests.filter((request) => request.method === 'PATCH').length >= (kind === 'bot' ? 1000 : 0), 'queued replies', 60_000));
    figures = { idle, waiting, large: NaN };
  } finally {
    await r.stop();
  }
  r = await rig(kind, [{ runMs: 50, videoBytes: 20 * 1024 * 1024 }], { COMFYUI_MAX_IN_FLIGHT: '4' }, { attachmentSizeLimit: 25 * 1024 * 1024 });
  try {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    // Hold each upload's answer back, so all ten deliveries are in flight at once.
    r.discord.fail({ method: 'PATCH', path: /@original/, delayMs: 2_000, minBytes: 1_000_000, times: 10 });
    r.discord.fail({ method: 'POST', path: /\/webhooks\//, delayMs: 2_000, minBytes: 1_000_000, times: 10 });
    const sent = dispatch(r, 10, `${kind} large`, users(10), kind === 'bot' ? [{ name: 'template', type: 3, value: 'txt2vid-bench' }] : []);
    const large = await peakRss(r.process.pid, kind === 'bot' ? allDelivered(r, sent, 120_000) : Promise.resolve());
    figures.large = large;
  } finally {
    await r.stop();
  }
  return figures;
}

/** Jobs per second from first dispatch to last delivery, with k simulated servers. */
async function throughputScenario(kind: Kind, servers: number, jobs: number): Promise<number> {
  const r = await rig(kind, Array.from({ length: servers }, () => ({ runMs: 300, imageWidth: 64, imageHeight: 64 })));
  try {
    const start = performance.now();
    const sent = dispatch(r, jobs, `${kind} throughput ${servers}`, users(12));
    await allDelivered(r, sent, 120_000);
    const end = Math.max(...sent.map((job) => uploadOf(r, job.token)?.at as number));
    return jobs / ((end - start) / 1000);
  } finally {
    await r.stop();
  }
}

const fmt = (value: number, digits = 1): string => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const began = performance.now();
const log = (text: string): void => void process.stderr.write(`[${((performance.now() - began) / 1000).toFixed(0).padStart(3)} s] ${text}\n`);

// `--only latency,acks,memory,throughput` runs a subset (the others print n/a), for quick iterations;
// `--real` measures delivery on the real ComfyUI instead (bench/real.ts).
const args = parseArgs({ options: { only: { type: 'string' }, real: { type: 'boolean' } } }).values;
if (args.real) {
  const { realBench } = await import('./real.js');
  const figures = await realBench(log);
  const row = (name: string, bot: number[], floor: number[]): string[] => ([0.5, 0.95, 1] as const).map((q) => {
    const [b, f] = [quantile(bot, q), quantile(floor, q)];
    const target = q === 0.5 ? 1.5 : q === 0.95 ? 2 : undefined;
    return `| ${name} ${q === 1 ? 'max' : `p${q * 100}`} (ms) | ${fmt(b)} | ${fmt(f)} | ${fmt(b / f, 2)}× | ${target ? `≤ ${target}× ${b / f <= target ? 'yes' : '**no**'}` : ''} |`;
  });
  const table = [
    '| figure | bot | floor | ratio | target |', '|---|---|---|---|---|',
    ...row('one at a time', figures.one.bot, figures.one.floor),
    ...row('24 at once, 6 members', figures.many.bot, figures.many.floor),
    `| ComfyUI requests per job | ${fmt(figures.requestsPerJob.bot, 2)} | ${fmt(figures.requestsPerJob.floor, 2)} | | ≤ 3 ${figures.requestsPerJob.bot <= 3 ? 'yes' : '**no**'} |`,
  ].join('\n');
  process.stdout.write(`\n${table}\n\nReal ComfyUI v0.3.65 (CPU, model-free 512×512 noise job, the same for both), run ${new Date().toISOString().slice(0, 10)} on ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, Node ${process.version}; latency = ComfyUI's own execution_success timestamp → last byte at the fake Discord; floor = a client that only queues, waits for \`executed\`, fetches /view and uploads; took ${((performance.now() - began) / 1000).toFixed(0)} s.\n`);
  process.exit(0);
}
const only = new Set((args.only ?? 'latency,acks,memory,throughput').split(','));
const skip = <T>(name: string, run: () => Promise<T>, empty: T): Promise<T> => (only.has(name) ? (log(name), run()) : Promise.resolve(empty));
const noLatency: LatencyFigures = { p50: NaN, p99: NaN, max: NaN, floor: { p50: NaN, p99: NaN, max: NaN }, idle: NaN, requestsPerJob: NaN };
const noAck = { p50: NaN, p99: NaN, max: NaN };
const noMemory = { idle: NaN, waiting: NaN, large: NaN };
const latency = await skip('latency', async () => ({ bot: await latencyScenario('bot', 60), baseline: await latencyScenario('baseline', 15) }), { bot: noLatency, baseline: noLatency });
const acks = await skip('acks', async () => ({ bot: await ackScenario('bot', 200), baseline: await ackScenario('baseline', 200) }), { bot: noAck, baseline: noAck });
const memory = await skip('memory', async () => ({ bot: await memoryScenario('bot'), baseline: await memoryScenario('baseline') }), { bot: noMemory, baseline: noMemory });
const throughput = await skip('throughput', async () => ({ 1: await throughputScenario('bot', 1, 40), 2: await throughputScenario('bot', 2, 40), 4: await throughputScenario('bot', 4, 40) }), { 1: NaN, 2: NaN, 4: NaN });
const baselineThroughput = await skip('throughput', () => throughputScenario('baseline', 1, 8), NaN);

const rows: Array<[string, string, string, string, boolean | undefined]> = [
  ['delivery latency p50 (ms)', fmt(latency.bot.p50), fmt(latency.baseline.p50), `≤ 20; floor ${fmt(latency.bot.floor.p50)} → ${fmt(latency.bot.p50 / latency.bot.floor.p50, 2)}×`, latency.bot.p50 <= 20],
  ['delivery latency p99 (ms)', fmt(latency.bot.p99), fmt(latency.baseline.p99), `≤ 100; floor ${fmt(latency.bot.floor.p99)} → ${fmt(latency.bot.p99 / latency.bot.floor.p99, 2)}×`, latency.bot.p99 <= 100],
  ['delivery latency max (ms)', fmt(latency.bot.max), fmt(latency.baseline.max), `floor ${fmt(latency.bot.floor.max)}`, undefined],
  ['GPU idle with a backlog (%)', fmt(latency.bot.idle * 100, 2), fmt(latency.baseline.idle * 100, 2), '≤ 1', latency.bot.idle <= 0.01],
  ['ComfyUI requests per job', fmt(latency.bot.requestsPerJob, 2), fmt(latency.baseline.requestsPerJob, 2), '≤ 4', latency.bot.requestsPerJob <= 4],
  ['ack of 200 at once p50 (ms)', fmt(acks.bot.p50), fmt(acks.baseline.p50), '', undefined],
  ['ack of 200 at once p99 (ms)', fmt(acks.bot.p99), fmt(acks.baseline.p99), '≤ 1000', acks.bot.p99 <= 1000],
  ['ack of 200 at once max (ms)', fmt(acks.bot.max), fmt(acks.baseline.max), '', undefined],
  ['RSS idle (MiB)', fmt(memory.bot.idle), fmt(memory.baseline.idle), '', undefined],
  ['RSS with 1000 waiting jobs (MiB)', fmt(memory.bot.waiting), fmt(memory.baseline.waiting), '≤ 150', memory.bot.waiting <= 150],
  ['RSS, 10 × 20 MB deliveries in flight (MiB)', fmt(memory.bot.large), 'n/a (one at a time)', `≤ idle + 100 = ${fmt(memory.bot.idle + 100)}`, memory.bot.large <= memory.bot.idle + 100],
  ['throughput, 1 server (jobs/s)', fmt(throughput[1], 2), fmt(baselineThroughput, 2), '', undefined],
  ['throughput, 2 servers (jobs/s)', fmt(throughput[2], 2), 'n/a (one server)', `${fmt(throughput[2] / throughput[1], 2)}×`, undefined],
  ['throughput, 4 servers (jobs/s)', fmt(throughput[4], 2), 'n/a (one server)', `≥ 3.8× → ${fmt(throughput[4] / throughput[1], 2)}× (ideal 4×: ${fmt(throughput[4] / throughput[1] / 4 * 100, 0)} %)`, throughput[4] / throughput[1] >= 3.8],
];
const table = [
  '| figure | bot | naive baseline | target | met |',
  '|---|---|---|---|---|',
  ...rows.map(([name, bot, baseline, target, met]) => `| ${name} | ${bot} | ${baseline} | ${target} | ${met === undefined ? '' : met ? 'yes' : '**no**'} |`),
].join('\n');
const scenario = [
  `Run ${new Date().toISOString().slice(0, 10)} on ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; took ${((performance.now() - began) / 1000).toFixed(0)} s.`,
  'Scenario: each bot runs as its own process against the ComfyUI simulator and the fake Discord on 127.0.0.1.',
  'Latency: 60 jobs (baseline 15) from 8 members queued at once; 100 ms simulated run; 200 KB PNG outputs (260×260 noise).',
  'Acks: 200 /imagine interactions from 200 members dispatched at once. Memory: 1000 waiting jobs from 100 members;',
  'then 10 jobs whose outputs are 20 MB MP4 files, with Discord holding each upload\'s answer 2 s. Throughput: 40 jobs',
  '(baseline 8), 300 ms simulated run each, 64×64 PNG, on 1, 2 and 4 simulated servers.',
].join('\n');
process.stdout.write(`\n${table}\n\n${scenario}\n`);
if (only.size === 4) await writeFile(join(fileURLToPath(new URL('.', import.meta.url)), 'last-run.md'), `${table}\n\n${scenario}\n`);
process.exit(0);
