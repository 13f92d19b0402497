import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { ComfyClient } from '../src/comfy/client.js';
import { parseServer } from '../src/comfy/server.js';
import { BotProcess } from '../test/e2e/harness.js';
import { FakeDiscord } from '../test/fakes/discord/fake-discord.js';
import { snowflake } from '../test/fakes/discord/payloads.js';
import { waitFor } from '../test/helpers.js';
import { REAL_TEMPLATES } from '../test/real/harness.js';
import { RealComfy } from '../test/real/real-comfy.js';

/**
 * `npm run bench -- --real`: delivery latency on the real ComfyUI, from the server's own `execution_success`
 * timestamp (in /history/{id}) to the fake Discord's receipt of the last byte; the bot beside a minimal reference
 * client (websocket `executed` → /view → upload, nothing else) as the floor, in the same run. A counting proxy in
 * front of ComfyUI (both go through it) gives requests per job.
 */

/** Counts HTTP requests (and passes websockets through untouched) to the real ComfyUI. */
async function countingProxy(target: URL): Promise<{ url: string; count: () => number; close: () => Promise<void> }> {
  let requests = 0;
  const server: Server = createServer((req, res) => {
    requests++;
    const upstream = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('upgrade', (req, socket, head) => {
    const upstream = connect(Number(target.port), target.hostname, () => {
      upstream.write(`${req.method} ${req.url} HTTP/1.1\r\n${Object.entries(req.headers).map(([key, value]) => `${key}: ${String(value)}`).join('\r\n')}\r\n\r\n`);
      upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    count: () => requests,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

type Prompt = Record<string, { class_type: string; inputs: Record<string, unknown> }>;

function job(text: string, seed: number): Prompt {
  return {
    // The same picture the bot makes from real-imagine with size:small.
    '1': { class_type: 'EmptyImage', inputs: { width: 512, height: 512, batch_size: 1, color: 3355443 } },
    '2': { class_type: 'ImageAddNoise', inputs: { image: ['1', 0], seed, strength: 0.5 } },
    '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'bench' } },
    '10': { class_type: 'PrimitiveStringMultiline', inputs: { value: text } },
    '11': { class_type: 'PreviewAny', inputs: { source: ['10', 0] } },
    '12': { class_type: 'PrimitiveStringMultiline', inputs: { value: '' } },
    '13': { class_type: 'PreviewAny', inputs: { source: ['12', 0] } },
  };
}

/** Server's execution_success (ms since the epoch) of the prompt whose text is `text`. */
async function successTimes(comfy: ComfyClient): Promise<Map<string, number>> {
  const times = new Map<string, number>();
  for (const entry of Object.values(await comfy.getHistory(10_000))) {
    const text = (entry.prompt[2] as Prompt | undefined)?.['10']?.inputs['value'];
    const success = entry.status?.messages.find(([type]) => type === 'execution_success')?.[1]['timestamp'];
    if (typeof text === 'string' && typeof success === 'number') times.set(text, success);
  }
  return times;
}

/** Wall-clock receipt (ms since the epoch) of the upload that carried `token`'s (or `nonce`'s) file. */
function receivedAt(discord: FakeDiscord, match: (path: string, json: unknown) => boolean): number {
  const upload = discord.requests.find((request) => request.files.length > 0 && match(request.path, request.json));
  return upload ? performance.timeOrigin + upload.at : NaN;
}

/**
 * The floor: a client that does nothing but queue, listen for `executed`, fetch the file and upload it (its
 * message content is the job's text). `workflow` builds each job's prompt; the default is the model-free job.
 */
export async function floorRun(base: string, discord: FakeDiscord, texts: string[], workflow: (text: string, index: number) => Record<string, unknown> = (text, index) => job(text, index + 1)): Promise<void> {
  const clientId = `floor-${randomUUID()}`;
  const ws = new WebSocket(`${base.replace('http', 'ws')}/ws?clientId=${clientId}`);
  await new Promise((resolve) => ws.once('open', resolve));
  const byPrompt = new Map<string, string>();
  const delivered: Array<Promise<void>> = [];
  ws.on('message', (data, binary) => {
    if (binary) return;
    const event = JSON.parse(String(data)) as { type: string; data: { prompt_id?: string; output?: { images?: Array<{ filename: string; subfolder: string; type: string }> } } };
    const image = event.type === 'executed' ? event.data.output?.images?.[0] : undefined;
    const text = byPrompt.get(event.data.prompt_id ?? '');
    if (!image || text === undefined) return;
    delivered.push((async () => {
      const view = await fetch(`${base}/view?filename=${encodeURIComponent(image.filename)}&subfolder=${encodeURIComponent(image.subfolder)}&type=${image.type}`);
      const form = new FormData();
      form.set('payload_json', JSON.stringify({ content: text }));
      form.set('files[0]', new Blob([await view.arrayBuffer()], { type: 'image/png' }), image.filename);
      await fetch(`${discord.apiUrl}/v10/channels/${discord.channelId}/messages`, { method: 'POST', headers: { authorization: `Bot ${discord.validToken}` }, body: form });
    })());
  });
  await Promise.all(texts.map(async (text, index) => {
    const promptId = randomUUID();
    byPrompt.set(promptId, text);
    await fetch(`${base}/prompt`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: workflow(text, index), client_id: clientId, prompt_id: promptId }) });
  }));
  await waitFor(() => delivered.length === texts.length, 'the floor client to see every file', 120_000);
  await Promise.all(delivered);
  ws.close();
}

export interface RealFigures {
  one: { bot: number[]; floor: number[] };
  many: { bot: number[]; floor: number[] };
  requestsPerJob: { bot: number; floor: number };
}

export async function realBench(log: (text: string) => void, sequential = 12, burst = 24): Promise<RealFigures> {
  const comfyServer = await RealComfy.start();
  const proxy = await countingProxy(new URL(comfyServer.url));
  const comfy = new ComfyClient({ server: parseServer(comfyServer.url), clientId: `bench-${randomUUID()}` });
  const discord = await new FakeDiscord({ heartbeatIntervalMs: 30_000 }).start();
  discord.setMaxListeners(0);
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-real-'));
  const bot = new BotProcess({
    DISCORD_TOKEN: discord.validToken, DISCORD_APP_ID: discord.appId, DISCORD_GUILD_ID: discord.guildId, DISCORD_API_URL: discord.apiUrl,
    COMFYUI_URL: proxy.url, DATA_DIR: dataDir, LOG_LEVEL: 'warn', JOBS_PER_HOUR: '0', MAX_WAITING_PER_USER: '1000', SUBMITS_PER_MINUTE: '10000',
    TEMPLATES_DIR: REAL_TEMPLATES, DEFAULT_IMAGINE_TEMPLATE: 'real-imagine', PROGRESS_EDIT_MS: '2000',
  });
  bot.start();
  try {
    await discord.waitForRequest((request) => request.method === 'PUT', 60_000, 'the bot to start');
    const members = Array.from({ length: 6 }, (_, index) => ({ id: snowflake(), username: `bench${index}` }));
    const botRound = async (label: string, count: number, together: boolean): Promise<{ latencies: number[]; requests: number }> => {
      const before = proxy.count();
      const tokens: Array<{ text: string; token: string }> = [];
      const send = (index: number): { text: string; token: string } => {
        const text = `${label} ${index} ${randomUUID()}`;
        const { token } = discord.chatInput('imagine', [{ name: 'prompt', type: 3, value: text }, { name: 'size', type: 3, value: 'small' }], members[index % members.length] as { id: string; username: string });
        return { text, token };
      };
      if (together) for (let index = 0; index < count; index++) tokens.push(send(index));
      else {
        for (let index = 0; index < count; index++) {
          const sent = send(index);
          tokens.push(sent);
          await waitFor(() => Number.isFinite(receivedAt(discord, (path) => path.includes(sent.token))), 'the delivery', 60_000);
        }
      }
      await waitFor(() => tokens.every(({ token }) => Number.isFinite(receivedAt(discord, (path) => path.includes(token)))), `${count} deliveries`, 180_000);
      const requests = proxy.count() - before;
      const times = await successTimes(comfy);
      return { latencies: tokens.map(({ text, token }) => receivedAt(discord, (path) => path.includes(token)) - (times.get(text) ?? NaN)), requests };
    };
    const floorRound = async (label: string, count: number, together: boolean): Promise<{ latencies: number[]; requests: number }> => {
      const before = proxy.count();
      const texts = Array.from({ length: count }, (_, index) => `${label} ${index} ${randomUUID()}`);
      if (together) await floorRun(proxy.url, discord, texts);
      else for (const text of texts) await floorRun(proxy.url, discord, [text]);
      const requests = proxy.count() - before;
      const times = await successTimes(comfy);
      return { latencies: texts.map((text) => receivedAt(discord, (_path, json) => (json as { content?: string } | undefined)?.content === text) - (times.get(text) ?? NaN)), requests };
    };
    // One unmeasured job each first: the first delivery of a fresh process pays for connections and JIT.
    await botRound('warm-up', 1, false);
    await floorRound('floor-warm-up', 1, false);
    log(`real: ${sequential} jobs one at a time (bot, then floor)`);
    const oneBot = await botRound('one', sequential, false);
    const oneFloor = await floorRound('floor-one', sequential, false);
    log(`real: ${burst} jobs at once from 6 members (bot, then floor)`);
    const manyBot = await botRound('many', burst, true);
    const manyFloor = await floorRound('floor-many', burst, true);
    return {
      one: { bot: oneBot.latencies, floor: oneFloor.latencies },
      many: { bot: manyBot.latencies, floor: manyFloor.latencies },
      requestsPerJob: { bot: (oneBot.requests + manyBot.requests) / (sequential + burst), floor: (oneFloor.requests + manyFloor.requests) / (sequential + burst) },
    };
  } finally {
    await bot.stop();
    await discord.stop();
    await comfy.close();
    await proxy.close();
    await comfyServer.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
