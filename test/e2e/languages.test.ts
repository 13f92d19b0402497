import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers.js';
import { member, option, queueImagine, slash, startHarness, waitForOriginal, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ env: { BANNED_WORDS: 'gore' } });
});
afterAll(async () => {
  await h?.stop();
});

const mei = member('mei', { locale: 'zh-CN' });
const ann = member('ann', { locale: 'en-US' });

function buttonLabels(components: unknown[]): string[] {
  return (components as Array<{ components: Array<{ label: string }> }>).flatMap((row) => row.components.map((button) => button.label));
}

describe('two languages', () => {
  it('a zh-CN member gets Chinese for her job, an en-US member English for his, side by side', async () => {
    const hersToken = h.discord.chatInput('imagine', [option('prompt', '一只狐狸')], mei).token;
    const hers = { token: hersToken, reply: await waitForOriginal(h.discord, hersToken, (message) => /任务 `\w+`/.test(message.content), 'her job to be queued') };
    const his = await queueImagine(h.discord, ann, 'a fox');
    expect(hers.reply.content).toMatch(/^已排队，任务 `\w+` —— /);
    expect(his.reply.content).toMatch(/^Queued as job `\w+` — /);
    const herResult = await waitForOriginal(h.discord, hers.token, (message) => message.files.length > 0, 'her result');
    const hisResult = await waitForOriginal(h.discord, his.token, (message) => message.files.length > 0, 'his result');
    expect(herResult.content).toMatch(/^用时 [\d.]+ 秒。$/);
    expect(hisResult.content).toMatch(/^Done in [\d.]+ s\.$/);
    expect(buttonLabels(herResult.components)).toEqual(expect.arrayContaining(['轻微变化', '重新生成', '删除']));
    expect(buttonLabels(hisResult.components)).toEqual(expect.arrayContaining(['Vary (subtle)', 'Reroll', 'Delete']));
    const herFields = (herResult.embeds[0] as { fields: Array<{ name: string }> }).fields.map((field) => field.name);
    expect(herFields).toEqual(expect.arrayContaining(['种子', '步数', '用时']));
  });

  it('refusals and command answers follow the member\'s language', async () => {
    const { token } = h.discord.chatInput('imagine', [option('prompt', 'some gore')], mei);
    const refused = await waitForOriginal(h.discord, token, (message) => message.content !== '', 'the refusal');
    expect(refused.content).toBe('提示词中包含本服务器不允许的词（“gore”）。请换一种说法。');
    expect(await slash(h.discord, 'cancel', mei)).toBe('你没有可以取消的任务。');
    expect(await slash(h.discord, 'cancel', ann)).toBe('You have no job to cancel.');
  });

  it('registers every command with its Chinese name and descriptions', () => {
    const registered = h.discord.commands.get(h.discord.guildId) as Array<{ name: string; name_localizations?: Record<string, string>; description_localizations?: Record<string, string> }>;
    expect(registered.find((command) => command.name === 'imagine')).toMatchObject({ name_localizations: { 'zh-CN': '画图' }, description_localizations: { 'zh-CN': '根据文字提示画一张图' } });
    expect(registered.every((command) => command.description_localizations?.['zh-CN'])).toBe(true);
  });

  it('a result posted in the channel (the reply window closed) speaks the server\'s language, the member\'s stays for DMs', async () => {
    const zhServer = await startHarness({ guildLocale: 'zh-CN', sim: { runMs: 800 } });
    try {
      const { token } = zhServer.discord.chatInput('imagine', [option('prompt', 'late in a Chinese server')], ann);
      await waitForOriginal(zhServer.discord, token, (message) => /Queued/.test(message.content), 'the queued reply');
      zhServer.discord.expiredTokens.add(token);
      const posted = await waitFor(() => zhServer.discord.channelMessages.find((message) => message.files.length > 0), 'the channel post', 15_000);
      expect(posted.content).toMatch(new RegExp(`^<@${ann.id}> 你的任务 \`\\w+\` 在 Discord 的 15 分钟回复时限之后才完成，结果在这里。\n用时 [\\d.]+ 秒。$`));
    } finally {
      await zhServer.stop();
    }
  });
});
