import { describe, expect, it } from 'vitest';
import { commands } from '../src/commands/index.js';
import { imagine } from '../src/commands/imagine.js';
import { img2img } from '../src/commands/img2img.js';
import { img2vid } from '../src/commands/img2vid.js';
import { inpaint } from '../src/commands/inpaint.js';
import { jobs } from '../src/commands/jobs.js';
import { bot } from '../src/commands/bot.js';
import { cancel } from '../src/commands/cancel.js';
import { queue } from '../src/commands/queue.js';
import { show } from '../src/commands/show.js';
import { status } from '../src/commands/status.js';
import { untranslated } from '../src/commands/localizations.js';
import { catalogs, en, messagesFor } from '../src/discord/messages.js';

const placeholders = (text: string): string[] => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1] as string).sort();

describe('two languages', () => {
  it('every message exists in each language with the same placeholders as the English one', () => {
    const base = Object.keys(en).filter((id) => !id.endsWith('_one'));
    for (const [language, catalog] of Object.entries(catalogs)) {
      const problems = base.flatMap((id) => {
        const text = (catalog as Record<string, string | undefined>)[id];
        if (text === undefined) return [`${language}: ${id} is missing`];
        const expected = placeholders(en[id as keyof typeof en]);
        return JSON.stringify(placeholders(text)) === JSON.stringify(expected) ? [] : [`${language}: ${id} has {${placeholders(text).join(', ')}}, English has {${expected.join(', ')}}`];
      });
      expect(problems).toEqual([]);
    }
    // English plurals keep the placeholders of the word they inflect.
    for (const id of Object.keys(en).filter((key) => key.endsWith('_one'))) {
      expect(placeholders(en[id as keyof typeof en])).toEqual(placeholders(en[id.slice(0, -4) as keyof typeof en]));
    }
  });

  it('every command, option and choice has a Chinese name or description', () => {
    for (const command of [imagine, img2img, inpaint, img2vid, queue, status, jobs, show, cancel, bot]) expect(untranslated(command.data)).toEqual([]);
    const registered = commands.find((command) => command.data.name === 'imagine')?.data;
    expect(registered?.name_localizations).toEqual({ 'zh-CN': '画图' });
    expect(registered?.options?.find((option) => option.name === 'prompt')?.description_localizations).toEqual({ 'zh-CN': '要画什么' });
  });

  it('picks the member\'s language, English for any other, and English plurals by count', () => {
    expect(messagesFor('zh-CN').say('cancelled', { id: 'x' })).toBe('任务 `x` 已取消。');
    expect(messagesFor('fr').say('cancelled', { id: 'x' })).toBe('Job `x` was cancelled.');
    expect(messagesFor(undefined).locale).toBe('en');
    expect([1, 2].map((count) => messagesFor('en-US').say('cancel.all', { count }))).toEqual(['Cancelled 1 job in this server.', 'Cancelled 2 jobs in this server.']);
    expect(messagesFor('zh-CN').say('cancel.all', { count: 1 })).toBe('已取消本服务器中的 1 个任务。');
  });
});
