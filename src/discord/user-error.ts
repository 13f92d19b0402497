import { randomBytes } from 'node:crypto';
import {
  ComfyHttpError, ComfyTimeoutError, ComfyUnreachableError, ExecutionFailedError, ExecutionInterruptedError, PromptLostError, PromptRejectedError, firstLine,
} from '../comfy/errors.js';
import { ParamError } from '../comfy/templates.js';
import { TemplateUnfitError } from '../comfy/unfit.js';
import { ZodError } from 'zod';
import { QuotaError } from '../jobs/scheduler.js';
import { LedgerWriteError } from '../jobs/store.js';
import { formatBytes, type MessageId, type Messages } from './messages.js';

/** An error whose message is meant for the member (bad input, limits); thrown by commands. */
export class UserError extends Error {
  override name = 'UserError';
  constructor(readonly id: MessageId, readonly values: Record<string, string | number> = {}) {
    super(id);
  }
}

/** ComfyUI accepted the prompt but dropped the outputs that would have made files (a 200 with node_errors). */
export class OutputsDroppedError extends Error {
  override name = 'OutputsDroppedError';
  constructor(readonly sentences: readonly string[]) {
    super(sentences.join('; '));
  }
}

export class TooLargeError extends Error {
  override name = 'TooLargeError';
  constructor(readonly size: number, readonly limit: number) {
    super(`output of ${size} bytes does not fit under ${limit} bytes`);
  }
}

export interface UserFacing {
  text: string;
  /** Set when the error was unexpected: logged with this reference, which the member sees. */
  reference?: string;
}

/** Sorts any error into a sentence for the member; anything unexpected gets a reference id for the logs. */
export function describeError(messages: Messages, error: unknown, jobId = '', reference = randomBytes(3).toString('hex')): UserFacing {
  const say = (id: MessageId, values: Record<string, string | number> = {}): UserFacing => ({ text: messages.say(id, { id: jobId, ...values }) });
  if (error instanceof UserError) return say(error.id, error.values);
  if (error instanceof ParamError) return say('input.invalid', { reason: capitalize(error.message) });
  if (error instanceof ZodError) return say('input.invalid', { reason: capitalize(error.issues.map((issue) => issue.message).join('; ')) });
  if (error instanceof QuotaError) return say('input.quota', { limit: error.limit });
  if (error instanceof LedgerWriteError) return say('bot.ledgerFailed', { id: error.jobId });
  if (error instanceof PromptRejectedError) return say('fail.rejected', { reason: error.sentences.join('; ') });
  if (error instanceof TemplateUnfitError) return say('fail.unfit', { reason: error.problems.join('; ') });
  if (error instanceof OutputsDroppedError) return say('fail.rejected', { reason: error.sentences.join('; ') });
  if (error instanceof ExecutionFailedError) {
    return error.outOfMemory ? say('fail.oom', { nodeType: error.nodeType }) : say('fail.node', { nodeType: error.nodeType, message: firstLine(error.exceptionMessage) });
  }
  if (error instanceof ExecutionInterruptedError) return say('fail.interrupted');
  if (error instanceof PromptLostError) return say('fail.lost');
  if (error instanceof ComfyUnreachableError || error instanceof ComfyTimeoutError) return say('fail.unreachable');
  if (error instanceof ComfyHttpError) return say('fail.http', { status: error.status });
  if (error instanceof TooLargeError) return say('fail.tooLarge', { size: formatBytes(error.size), limit: formatBytes(error.limit) });
  return { text: messages.say('fail.unexpected', { ref: reference }), reference };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1) + (/[.!?]$/.test(text) ? '' : '.');
}
