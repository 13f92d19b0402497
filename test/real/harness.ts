import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BotProcess } from '../e2e/harness.js';
import { FakeDiscord } from '../fakes/discord/fake-discord.js';

/** The model-free templates of the contract suite (not shipped). */
export const REAL_TEMPLATES = fileURLToPath(new URL('./templates/', import.meta.url));

export interface RealHarness {
  discord: FakeDiscord;
  bot: BotProcess;
  restartBot(): Promise<BotProcess>;
  stop(): Promise<void>;
}

/** The bot exactly as `npm start` runs it, the fake Discord, and a real ComfyUI at `comfyUrl`. */
export async function startRealHarness(comfyUrl: string, env: Record<string, string> = {}): Promise<RealHarness> {
  const discord = await new FakeDiscord({ heartbeatIntervalMs: 1_000 }).start();
  const dataDir = await mkdtemp(join(tmpdir(), 'bot-real-data-'));
  const bot = new BotProcess({
    DISCORD_TOKEN: discord.validToken, DISCORD_APP_ID: discord.appId, DISCORD_GUILD_ID: discord.guildId, DISCORD_API_URL: discord.apiUrl,
    DISCORD_ATTACHMENT_HOSTS: new URL(discord.url).host, COMFYUI_URL: comfyUrl, DATA_DIR: dataDir, PROGRESS_EDIT_MS: '500', LOG_LEVEL: 'info',
    TEMPLATES_DIR: REAL_TEMPLATES, DEFAULT_IMAGINE_TEMPLATE: 'real-imagine', DEFAULT_IMG2VID_TEMPLATE: 'real-img2vid',
    ...env,
  });
  bot.start();
  await discord.waitForRequest((request) => request.method === 'PUT' && request.path.endsWith('/commands'), 30_000, 'the bot to register its commands');
  const harness: RealHarness = {
    discord, bot,
    async restartBot() {
      await harness.bot.stop();
      const next = new BotProcess(harness.bot.env);
      next.start();
      harness.bot = next;
      await next.waitForLog(/logged in to Discord/, 30_000);
      return next;
    },
    async stop() {
      await harness.bot.stop();
      await discord.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}
