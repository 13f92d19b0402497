import { bot } from './bot.js';
import { cancel } from './cancel.js';
import type { Command } from './command.js';
import { imagine } from './imagine.js';
import { img2img } from './img2img.js';
import { img2vid } from './img2vid.js';
import { inpaint } from './inpaint.js';
import { jobs } from './jobs.js';
import { localized } from './localizations.js';
import { queue } from './queue.js';
import { show } from './show.js';
import { status } from './status.js';

/** The explicit list read by both the router and the registration script, each with its zh-CN names and descriptions. */
export const commands: readonly Command[] = [imagine, img2img, inpaint, img2vid, queue, status, jobs, show, cancel, bot]
  .map((command) => ({ ...command, data: localized(command.data) }));

export type { Command };
