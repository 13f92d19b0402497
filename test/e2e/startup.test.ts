import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeDiscord } from '../fakes/discord/fake-discord.js';
import { waitFor } from '../helpers.js';
import { ROOT, runNpmScript } from '../run-script.js';
import { BotProcess, member, option, startHarness, waitForOriginal, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

describe('starting the bot', () => {
  it('exits 1 with every missing setting in one list when .env is the untouched example', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'env-'));
    await writeFile(join(dir, '.env'), await readFile(join(ROOT, '.env.example'), 'utf8'));
    const bot = new BotProcess({ DOTENV_CONFIG_PATH: join(dir, '.env') });
    bot.start();
    expect(await bot.exited()).toBe(1);
    await rm(dir, { recursive: true, force: true });
    expect(bot.output).toBe([
      'Configuration problems (see .env.example and README → Settings):',
      '  - DISCORD_TOKEN is missing: create a bot at https://discord.com/developers/applications → your app → Bot → Reset Token, and put it in .env',
      '  - DISCORD_APP_ID is missing: copy the Application ID from the Developer Portal → General Information',
      '',
    ].join('\n'));
  });

  it('exits 1 with one line when Discord refuses the token', async () => {
    const discord = await new FakeDiscord().start();
    try {
      const bot = new BotProcess({ DISCORD_TOKEN: `${'x'.repeat(24)}.AAAAAA.${'y'.repeat(38)}`, DISCORD_APP_ID: discord.appId, DISCORD_API_URL: discord.apiUrl, COMFYUI_URL: 'http://127.0.0.1:9', LOG_LEVEL: 'silent' });
      bot.start();
      expect(await bot.exited()).toBe(1);
      expect(bot.output.trim()).toBe('Discord refused DISCORD_TOKEN. Copy a fresh one from the Developer Portal → your app → Bot → Reset Token.');
    } finally {
      await discord.stop();
    }
  });

  it('refuses a second bot on the same DATA_DIR with one line, and the first keeps working', async () => {
    h = await startHarness();
    const dataDir = h.bot.env['DATA_DIR'] as string;
    const second = new BotProcess(h.bot.env);
    let code: number | null | undefined;
    second.start();
    void second.exited().then((exitCode) => (code = exitCode));
    try {
      await waitFor(() => code !== undefined, 'the second bot to exit', 15_000);
    } finally {
      await second.stop();
    }
    expect(code).toBe(1);
    expect(second.output).toContain('Another copy of the bot is already running');
    expect(second.output.trim()).toBe(`Another copy of the bot is already running with DATA_DIR=${dataDir} (it holds ${join(dataDir, 'bot.lock')}). Stop it first, or give this one its own DATA_DIR.`);
    const { token } = h.discord.chatInput('imagine', [option('prompt', 'still here')], member('kim'));
    const done = await waitForOriginal(h.discord, token, (message) => message.files.length > 0, 'the first bot\'s picture');
    expect(done.attachments[0]?.filename).toMatch(/\.png$/);
  });

  it('registers commands once, and npm run register sends nothing when they are unchanged', async () => {
    h = await startHarness();
    const puts = () => h?.discord.requests.filter((request) => request.method === 'PUT').length;
    expect(puts()).toBe(1);
    const registered = h.discord.commands.get(h.discord.guildId) as Array<{ name: string }>;
    expect(registered.map((command) => command.name)).toEqual(['imagine', 'img2img', 'inpaint', 'img2vid', 'queue', 'status', 'jobs', 'show', 'cancel', 'bot']);
    const env = { DISCORD_TOKEN: h.discord.validToken, DISCORD_APP_ID: h.discord.appId, DISCORD_GUILD_ID: h.discord.guildId, DISCORD_API_URL: h.discord.apiUrl };
    const dataDir = await mkdtemp(join(tmpdir(), 'register-'));
    const first = await runNpmScript('register', [], { ...env, DATA_DIR: dataDir });
    expect(first.stdout).toContain('Registered 10 commands in guild');
    const second = await runNpmScript('register', [], { ...env, DATA_DIR: dataDir });
    expect(second.stdout).toContain('Commands unchanged since the last registration');
    expect(puts()).toBe(2);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers autocomplete for checkpoints from the server\'s object_info', async () => {
    h = await startHarness({ sim: { checkpoints: ['dreamshaper_8.safetensors', 'juggernautXL.safetensors', 'sd15.safetensors'] } });
    const { token } = h.discord.chatInput('imagine', [option('prompt', 'x'), { name: 'checkpoint', type: 3, value: 'dream', focused: true }], member('ivy'), { autocomplete: true });
    const callback = await h.discord.waitForRequest((request) => request.path.includes(token) && request.path.endsWith('/callback'));
    expect(callback.json).toEqual({ type: 8, data: { choices: [{ name: 'dreamshaper_8.safetensors', value: 'dreamshaper_8.safetensors' }] } });
  });

  it('uses img2vid-core when the server lacks the VideoHelperSuite nodes', async () => {
    h = await startHarness({ sim: { videoHelperSuite: false } });
    await h.bot.waitForLog(/template img2vid cannot run on any server/);
    await h.bot.waitForLog(/default \/img2vid template: img2vid-core/);
    const still = await sharp({ create: { width: 16, height: 16, channels: 3, background: 'teal' } }).png().toBuffer();
    const attachment = h.discord.addAttachment('still.png', still, 'image/png');
    const { token } = h.discord.chatInput('img2vid', [{ name: 'image', type: 11, value: attachment.id }, option('frames', 2)], member('jo'), { attachments: [attachment] });
    const done = await waitForOriginal(h.discord, token, (message) => message.files.length > 0, 'the animation');
    expect(done.attachments[0]?.filename).toMatch(/\.webp$/);
  });
});
