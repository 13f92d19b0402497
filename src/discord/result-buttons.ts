import { z } from 'zod';
import type { Runnable } from '../service/derive.js';
import type { Messages, MessageId } from './messages.js';

/** What a button under a result does. Each names its job and image, so it works long after (and across restarts). */
export const RESULT_ACTIONS = ['reroll', 'vary-subtle', 'vary-strong', 'upscale', 'animate', 'edit', 'delete'] as const;
export type ResultAction = (typeof RESULT_ACTIONS)[number];

export const RESULT_BUTTON_PREFIX = 'job:';

/** Discord allows 5 rows of 5 buttons: one row per picture (at most 4), and one row for the whole job. */
export const MAX_PICTURES_PER_MESSAGE = 4;

const ButtonIdSchema = z.object({
  action: z.enum(RESULT_ACTIONS),
  jobId: z.string().regex(/^[a-z0-9]{1,32}$/),
  image: z.coerce.number().int().min(0).max(99),
});
export type ResultButton = z.infer<typeof ButtonIdSchema>;

export function resultButtonId(action: ResultAction, jobId: string, image: number): string {
  return `${RESULT_BUTTON_PREFIX}${action}:${jobId}:${image}`;
}

/** The button a custom id names, or undefined for one this bot did not make (or an older format). */
export function parseResultButton(customId: string): ResultButton | undefined {
  if (!customId.startsWith(RESULT_BUTTON_PREFIX)) return undefined;
  const [action, jobId, image] = customId.slice(RESULT_BUTTON_PREFIX.length).split(':');
  const parsed = ButtonIdSchema.safeParse({ action, jobId, image });
  return parsed.success ? parsed.data : undefined;
}


const PER_PICTURE: ReadonlyArray<{ action: ResultAction; label: MessageId; emoji: string; needs: keyof Runnable }> = [
  { action: 'vary-subtle', label: 'button.varySubtle', emoji: '🎨', needs: 'img2img' },
  { action: 'vary-strong', label: 'button.varyStrong', emoji: '🎨', needs: 'img2img' },
  { action: 'upscale', label: 'button.upscale', emoji: '⬆️', needs: 'upscale' },
  { action: 'animate', label: 'button.animate', emoji: '🎞️', needs: 'img2vid' },
];

function button(action: ResultAction, label: string, emoji: string, jobId: string, image: number, style = 2) {
  return { type: 2, style, label, emoji: { name: emoji }, custom_id: resultButtonId(action, jobId, image) };
}

/**
 * The rows under a result message. `pictures` are the indexes (in the job's outputs) of the still pictures this
 * message shows; each gets a row of its own actions, numbered when there are several. The last row acts on the
 * whole job: reroll and edit (for jobs made from text) and delete; their index is the message's first output, so
 * a picture's place among the message's attachments is its index minus that (a result split over messages).
 */
export function resultRows(messages: Messages, job: { id: string; fromText: boolean }, pictures: readonly number[], runnable: Runnable, firstOutput = 0) {
  const { say } = messages;
  const rows: Array<{ type: 1; components: unknown[] }> = [];
  const actions = PER_PICTURE.filter((entry) => runnable[entry.needs]);
  if (actions.length > 0) {
    for (const image of pictures.slice(0, MAX_PICTURES_PER_MESSAGE)) {
      const suffix = pictures.length > 1 ? ` ${image + 1}` : '';
      rows.push({ type: 1, components: actions.map((entry) => button(entry.action, `${say(entry.label)}${suffix}`, entry.emoji, job.id, image)) });
    }
  }
  const whole = [
    ...(job.fromText ? [button('reroll', say('button.reroll'), '🔁', job.id, firstOutput), button('edit', say('button.edit'), '✏️', job.id, firstOutput)] : []),
    button('delete', say('button.delete'), '🗑️', job.id, firstOutput, 4),
  ];
  rows.push({ type: 1, components: whole });
  return rows;
}
