import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ComfyHttpError, ComfyUnreachableError, ExecutionFailedError, ExecutionInterruptedError, PromptLostError } from '../../src/comfy/errors.js';
import { ParamError } from '../../src/comfy/templates.js';
import { TemplateUnfitError } from '../../src/comfy/unfit.js';
import { messagesFor } from '../../src/discord/messages.js';
import { describeError, OutputsDroppedError, TooLargeError, UserError } from '../../src/discord/user-error.js';
import { LedgerWriteError } from '../../src/jobs/store.js';

/** The error classifier: every error a member can meet becomes one sentence; anything else gets a reference. */
describe('describeError', () => {
  const say = (error: unknown) => describeError(messagesFor('en-US'), error, 'j1');

  it.each([
    ['a refusal of the member\'s own input', new UserError('image.empty'), 'That attachment is empty (0 bytes).'],
    ['a bad parameter', new ParamError('steps', 'steps must be between 1 and 100 (got 500)'), 'Steps must be between 1 and 100 (got 500).'],
    ['options that fail their schema', z.object({ n: z.number({ error: 'n must be a number' }) }).safeParse({ n: 'x' }).error, 'N must be a number.'],
    ['a template no server can run', new TemplateUnfitError('img2vid', ['node type VHS_VideoCombine is not installed']), 'Job `j1` cannot run on any ComfyUI server here: node type VHS_VideoCombine is not installed. An admin can install what is missing, or pick another template.'],
    ['outputs ComfyUI dropped', new OutputsDroppedError(['the input image x.png is not on the server (upload it first)']), 'ComfyUI refused job `j1`: the input image x.png is not on the server (upload it first)'],
    ['a node failing', new ExecutionFailedError('p', '3', 'KSampler', 'RuntimeError', 'bad thing\nTraceback…'), 'Job `j1` failed in KSampler: bad thing'],
    ['the GPU out of memory', new ExecutionFailedError('p', '3', 'KSampler', 'torch.OutOfMemoryError', 'CUDA out of memory'), 'The GPU ran out of memory on job `j1` (KSampler). Try a smaller size or fewer frames.'],
    ['an interrupt', new ExecutionInterruptedError('p', '3', 'KSampler'), 'Job `j1` was stopped on the ComfyUI server.'],
    ['a prompt lost twice', new PromptLostError('p'), 'ComfyUI lost job `j1` twice (it restarted). Please try again.'],
    ['an unreachable server', new ComfyUnreachableError('http://gpu'), 'ComfyUI could not be reached for job `j1`.'],
    ['a server error', new ComfyHttpError(502, 'http://gpu/prompt', 'Bad Gateway'), 'ComfyUI kept answering job `j1` with an error (HTTP 502). An admin should look at its log.'],
    ['a result too large', new TooLargeError(30 * 1024 * 1024, 25 * 1024 * 1024), 'Job `j1` finished, but its result (30.0 MiB) is larger than this channel allows (25.0 MiB) even after shrinking it.'],
    ['a ledger that cannot be written', new LedgerWriteError('k9', new Error('database is locked')), 'I could not save job `k9` (the bot\'s job database is not writable right now), so it was not queued. Please try again in a minute.'],
  ])('explains %s in one sentence, without a reference', (_case, error, text) => {
    expect(say(error)).toEqual({ text });
  });

  it('gives anything unexpected a short reference for the logs, and shows nothing of the error itself', () => {
    const described = say(new TypeError('secret internals at /srv/bot/x.js:12'));
    expect(described.reference).toMatch(/^[0-9a-f]{6}$/);
    expect(described.text).toBe(`Something went wrong on our side (reference \`${described.reference}\`). An admin can find the details in the logs.`);
  });
});
