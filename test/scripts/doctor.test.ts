import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REST } from 'discord.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { commands } from '../../src/commands/index.js';
import { registerCommands } from '../../src/discord/register.js';
import { FakeDiscord } from '../fakes/discord/fake-discord.js';
import { snowflake } from '../fakes/discord/payloads.js';
import type { ComfySim } from '../fakes/comfy/sim.js';
import { startSim } from '../helpers.js';
import { runNpmScript } from '../run-script.js';

/** `npm run doctor` as an admin runs it, against the simulator and the fake Discord: all green, then each thing broken. */
let sim: ComfySim;
let discord: FakeDiscord;
let dir: string;
beforeAll(async () => {
  sim = await startSim();
  dir = await mkdtemp(join(tmpdir(), 'doctor-'));
});
afterAll(async () => {
  await sim.stop();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  discord = await new FakeDiscord().start();
  await registerCommands(new REST({ api: discord.apiUrl }).setToken(discord.validToken), discord.appId, discord.guildId, commands, join(dir, 'data'), true);
});
afterEach(async () => {
  await discord.stop();
});

const doctor = (env: Record<string, string> = {}) => runNpmScript('doctor', [], {
  DISCORD_TOKEN: discord.validToken, DISCORD_APP_ID: discord.appId, DISCORD_GUILD_ID: discord.guildId, DISCORD_API_URL: discord.apiUrl,
  ALLOWED_CHANNEL_IDS: discord.channelId, COMFYUI_URL: sim.url, DATA_DIR: join(dir, 'data'), CONFIG_FILE: '', ...env,
}, 60_000);

describe('npm run doctor', () => {
  it('passes, line by line, when Discord and ComfyUI are set up right', async () => {
    const result = await doctor();
    expect(result.stdout).toContain('✔ the config is valid (the environment; no config.yaml)');
    expect(result.stdout).toContain('✔ the Discord token works: logged in as fakebot');
    expect(result.stdout).toContain('✔ DISCORD_APP_ID matches the token\'s application (fakebot)');
    expect(result.stdout).toContain('✔ the bot is in Fake Guild with View Channel, Send Messages, Embed Links and Attach Files');
    expect(result.stdout).toContain('✔ #general: the bot can post results there');
    expect(result.stdout).toContain(`✔ all ${commands.length} commands are registered in server ${discord.guildId} and current`);
    expect(result.stdout).toMatch(/^✔ http:\/\/127\.0\.0\.1:\d+: ComfyUI \S+ on .+, [\d.]+ of [\d.]+ GiB VRAM free$/m);
    expect(result.stdout).not.toContain('✘');
    expect(result.code, result.stdout).toBe(0);
  });

  it('says to reset a token Discord refuses', async () => {
    const result = await doctor({ DISCORD_TOKEN: `${discord.validToken.slice(0, -4)}nope` });
    expect(result.stdout).toContain('✘ Discord refused DISCORD_TOKEN; copy a fresh one from the Developer Portal → your app → Bot → Reset Token');
    expect(result.code).toBe(1);
  });

  it('names a wrong application id, a server the bot is not in with its invite link, and a channel it cannot see', async () => {
    discord.membership.inGuild = false;
    const wrongApp = snowflake();
    const result = await doctor({ DISCORD_APP_ID: wrongApp });
    expect(result.stdout).toContain(`✘ DISCORD_APP_ID is ${wrongApp} but the token belongs to application ${discord.appId} (fakebot); copy the Application ID`);
    expect(result.stdout).toContain(`✘ the bot is not in server ${discord.guildId}; invite it: https://discord.com/oauth2/authorize?client_id=${discord.appId}&scope=bot+applications.commands&permissions=117760&guild_id=${discord.guildId}`);
    expect(result.stdout).toContain(`✘ allowed channel ${discord.channelId} is in none of the checked servers, or the bot cannot see it`);
    expect(result.code).toBe(1);
  });

  it('names the permissions the bot lacks in the server and in an allowed channel, and commands that changed', async () => {
    discord.membership.everyonePermissions = (2248473465835073n & ~32768n).toString();
    discord.membership.overwrites = [{ id: discord.guildId, type: 0, allow: '0', deny: '2048' }];
    const registered = discord.commands.get(discord.guildId) as Array<Record<string, unknown>>;
    discord.commands.set(discord.guildId, registered.map((command) => (command['name'] === 'imagine' ? { ...command, description: 'an older text' } : command)));
    const result = await doctor();
    expect(result.stdout).toContain('✘ in Fake Guild the bot lacks Attach Files; give its role these permissions (Server Settings → Roles)');
    expect(result.stdout).toContain('✘ in #general the bot lacks Send Messages, Attach Files; allow them for the bot in Edit Channel → Permissions');
    expect(result.stdout).toContain(`✘ commands registered in server ${discord.guildId} differ from this version's: /imagine; start the bot (it registers them), or run FORCE=1 npm run register`);
    expect(result.code).toBe(1);
  });

  it('lets a role give back what @everyone lacks, and says when a channel overwrite takes it away', async () => {
    const role = snowflake();
    discord.membership.everyonePermissions = '0';
    discord.membership.roles = [{ id: role, permissions: '52224' }];
    discord.membership.overwrites = [{ id: role, type: 0, allow: '0', deny: '16384' }];
    const result = await doctor();
    expect(result.stdout).toContain('✔ the bot is in Fake Guild with View Channel');
    expect(result.stdout).toContain('✘ in #general the bot lacks Embed Links (a channel permission overwrite takes it away)');
    expect(result.code).toBe(1);
  });

  it('says what it could not read when Discord fails part-way, without a false verdict, and still checks the rest', async () => {
    discord.faults.push({ method: 'GET', path: /\/applications\/@me$/, status: 429, body: { message: 'You are being rate limited.', retry_after: 1, global: false }, times: 1 });
    discord.faults.push({ method: 'GET', path: /\/members\//, status: 500, times: 1 });
    const result = await doctor({ DISCORD_APP_ID: snowflake() });
    expect(result.stdout).toContain('! could not read the token\'s application (Discord answered 429), so DISCORD_APP_ID is not checked; run doctor again later');
    expect(result.stdout).not.toContain('but the token belongs to application');
    expect(result.stdout).toContain('✘ could not read the bot\'s roles in Fake Guild (Discord answered 500); run doctor again later');
    expect(result.stdout).not.toContain('the bot lacks');
    expect(result.stdout).toContain(`✔ ${sim.url}: ComfyUI`);
    expect(result.stdout).toMatch(/^✔ the job ledger opens/m);
    expect(result.code).toBe(1);
  });

  it('says an allowed "channel" that is a category lets the bot answer nowhere in it', async () => {
    const category = snowflake();
    discord.membership.channels = [{ id: category, type: 4, name: 'art' }];
    const result = await doctor({ ALLOWED_CHANNEL_IDS: `${discord.channelId},${category}` });
    expect(result.stdout).toContain('✔ #general: the bot can post results there');
    expect(result.stdout).toContain(`✘ allowed channel ${category} (art) is a category; the bot answers only in channels listed themselves, so list the channels in ALLOWED_CHANNEL_IDS`);
    expect(result.code).toBe(1);
  });

  it('says commands are not registered, and that a ComfyUI server does not answer', async () => {
    discord.commands.clear();
    const result = await doctor({ COMFYUI_URL: 'http://127.0.0.1:9' });
    expect(result.stdout).toContain(`✘ commands not registered in server ${discord.guildId}: /imagine,`);
    expect(result.stdout).toMatch(/^✘ http:\/\/127\.0\.0\.1:9\/?: .+/m);
    expect(result.code).toBe(1);
  });

  it('names the file, line and key of a mistake in config.yaml', async () => {
    const file = join(dir, 'config.yaml');
    await writeFile(file, 'servers:\n  - url: http://127.0.0.1:8188\n    label: big\nlimits:\n  jobs_per_hour: 1000000\n  cooldown: 5\n');
    const result = await doctor({ CONFIG_FILE: file });
    expect(result.stdout).toContain(`✘ config: ${file}:6: limits.cooldown is not a setting (limits takes jobs_per_hour, cooldown_seconds,`);
    await writeFile(file, 'servers:\n  - url: http://127.0.0.1:8188\n    label: big\nlimits:\n  jobs_per_hour: 1000000\n');
    const second = await doctor({ CONFIG_FILE: file });
    expect(second.stdout).toContain(`✘ config: ${file}:5: limits.jobs_per_hour must be at most 100000`);
    expect(second.code).toBe(1);
  });
});
