import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ComfyTimeoutError } from '../../src/comfy/errors.js';
import { ComfyPool } from '../../src/comfy/pool.js';
import { ComfyRunner } from '../../src/comfy/runner.js';
import { parseServer } from '../../src/comfy/server.js';
import { loadTemplates, type Template } from '../../src/comfy/templates.js';
import type { Job } from '../../src/jobs/job.js';
import { templateDirs } from '../../src/templates-registry.js';
import type { ComfySim } from '../fakes/comfy/sim.js';
import { readAll, startSim, waitFor } from '../helpers.js';

let sim: ComfySim | undefined;
let pool: ComfyPool | undefined;
let runner: ComfyRunner | undefined;
afterEach(async () => {
  runner?.stop();
  await pool?.close();
  await sim?.stop();
  sim = undefined;
  pool = undefined;
  runner = undefined;
});

async function setup(options: Parameters<typeof startSim>[0] = {}, timeoutMs = 5_000): Promise<{ sim: ComfySim; runner: ComfyRunner; templates: Map<string, Template> }> {
  sim = await startSim(options);
  pool = new ComfyPool([parseServer(sim.url)], { clientId: `runner-${randomUUID()}`, maxInFlightPerServer: 2, timeoutMs });
  await pool.refreshCatalogs();
  await pool.connected(AbortSignal.timeout(5_000));
  const templates = await loadTemplates(templateDirs(undefined));
  runner = new ComfyRunner(pool, templates, { input: () => undefined });
  return { sim, runner, templates };
}

function jobOf(params: Job['params'] = { prompt: 'a fox', seed: 5 }): Job {
  return {
    id: randomUUID().slice(0, 8), kind: 'imagine', template: 'txt2img', params, requester: { id: 'u', name: 'u' },
    origin: { guildId: 'g', channelId: 'c', interactionId: 'i', interactionToken: 't', interactionAt: Date.now(), attachmentLimit: 1e7 },
    state: 'waiting', createdAt: Date.now(), resubmits: 0,
  };
}

describe('ComfyRunner', () => {
  it('reserves, submits under the chosen prompt id, follows to the end and opens the output fetched early', async () => {
    const { sim: server, runner: jobs } = await setup({ runMs: 100, successDelayMs: 200 });
    const job = jobOf();
    const reservation = jobs.reserve(job);
    expect(reservation.kind).toBe('reserved');
    job.backend = reservation.kind === 'reserved' ? reservation.server : '';
    job.promptId = jobs.newPromptId();
    const submitted = await jobs.submit(job);
    expect(submitted).toMatchObject({ promptId: job.promptId, dropped: [] });
    expect(submitted.values).toMatchObject({ prompt: 'a fox', seed: 5 });
    const phases: string[] = [];
    const result = await jobs.follow(job, (progress) => phases.push(progress.phase));
    expect(phases).toContain('sampling');
    const views = server.requests.filter((request) => request.path.startsWith('/view'));
    expect(views).toHaveLength(1);
    const view = await jobs.open(job, result.outputs[0] as NonNullable<(typeof result.outputs)[0]>);
    expect((await readAll(view.stream)).length).toBe(view.contentLength);
    // The early download was reused: no second /view.
    expect(server.requests.filter((request) => request.path.startsWith('/view'))).toHaveLength(1);
    jobs.done(job);
  });

  it('refuses a job whose template is gone as never runnable, not as busy', async () => {
    const { runner: jobs } = await setup();
    expect(jobs.reserve({ ...jobOf(), template: 'no-such-template' })).toMatchObject({ kind: 'never' });
  });

  it('deletes a pending prompt and interrupts a running one, by its own id', async () => {
    const { sim: server, runner: jobs } = await setup({ runMs: 5_000 });
    const [first, second] = [jobOf({ prompt: 'one' }), jobOf({ prompt: 'two' })];
    for (const job of [first, second]) {
      const reservation = jobs.reserve(job);
      job.backend = reservation.kind === 'reserved' ? reservation.server : '';
      job.promptId = jobs.newPromptId();
      await jobs.submit(job);
    }
    await waitFor(() => server.state.running?.promptId === first.promptId, 'the first to run');
    expect(await jobs.cancel(second)).toBe('deleted');
    expect(await jobs.cancel(first)).toBe('interrupted');
    expect(server.requests.find((request) => request.path === '/interrupt')?.json).toEqual({ prompt_id: first.promptId });
  });

  it('after a timed-out send, finds the prompt ComfyUI queued anyway instead of sending it again', async () => {
    const { sim: server, runner: jobs } = await setup({ runMs: 50 }, 1_000);
    server.faults.lateAnswerMs = 1_500;
    const job = jobOf();
    const reservation = jobs.reserve(job);
    job.backend = reservation.kind === 'reserved' ? reservation.server : '';
    job.promptId = jobs.newPromptId();
    const submitted = await jobs.submit(job);
    expect(submitted.promptId).toBe(job.promptId);
    expect(server.submitted).toHaveLength(1);
    expect(jobs.mayHaveArrived(new ComfyTimeoutError('x', 1))).toBe(true);
    await jobs.follow(job, () => undefined);
  });
});
