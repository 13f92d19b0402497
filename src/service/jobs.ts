import { sizeForRatio, type AspectRatio } from '../comfy/aspect.js';
import type { ChannelDefaultsMap } from '../config-file.js';
import { applyChannelDefaults, channelDefaultsFor, type ParamRange } from '../policy/channel-defaults.js';
import type { ComfyPool, ServerStatus } from '../comfy/pool.js';
import { imageParamOf } from '../comfy/submit.js';
import { comboChoices } from '../comfy/template-check.js';
import { withLoraSlots } from '../comfy/lora.js';
import type { InputImage } from '../comfy/runner.js';
import { fillWorkflow, ParamError, type Template } from '../comfy/templates.js';
import type { PromptResult } from '../comfy/watcher.js';
import { shown } from '../discord/escape.js';
import type { MessageId } from '../discord/messages.js';
import { UserError } from '../discord/user-error.js';
import type { Job, JobKind } from '../jobs/job.js';
import type { CancelOutcome, Scheduler } from '../jobs/scheduler.js';
import type { JobStore } from '../jobs/store.js';
import { administers, canManage, canSee, type Caller } from '../policy/admin.js';
import { RateLimiter } from '../policy/rate-limit.js';
import { deriveJob, paramsFor, type FollowUp, type Runnable } from './derive.js';
import { findBannedWord } from '../policy/banned-words.js';
import { InProgress } from '../policy/in-progress.js';
import { checkQuota } from '../policy/quota.js';

type Params = Record<string, string | number | boolean>;

/** Who asks: a member, where they asked, and whether they are an admin there (never in a DM). */
export interface Requester extends Caller {
  name: string;
  channelId: string | null;
  /** The category the channel is in: per-channel defaults may be set for a whole category. */
  categoryId?: string | null;
  /** The member's Discord locale: the language of everything about their jobs. */
  locale?: string;
  /** The server's locale: the language of what is posted for everyone in its channels. */
  guildLocale?: string;
}

/** Where a job's answer goes: the interaction that asked for it. */
export interface ReplyTarget {
  interactionId: string;
  interactionToken: string;
  attachmentLimit: number;
}

export interface SubmitRequest {
  kind: JobKind;
  /** A template the member named; the command's default otherwise. */
  template: string | undefined;
  params: Params;
  requester: Requester;
  reply: ReplyTarget;
  /** The slow part of an input image (its download), run only once every cheap check has passed. */
  fetchInput?: () => Promise<InputImage>;
  /** A named aspect ratio: the template turns it into a width and height suited to its model. */
  aspect?: AspectRatio;
  /** The result this job is made from (a button under it). */
  parent?: { jobId: string; image: number };
  /** Results behind a spoiler (the channel's config asks for it). */
  spoiler?: boolean;
  /** The slow checks are taking a while: the caller must answer the member now (Discord waits 3 s at most). */
  whenSlow: () => Promise<void>;
  /** Every check passed: the caller's public answer must exist before the job is queued and shown. */
  beforeQueue: () => Promise<void>;
}

export interface QueueView {
  running: Array<{ job: Job; server: string | undefined }>;
  /** Waiting jobs the caller may see, with their place among all waiting jobs. */
  waiting: Array<{ job: Job; place: number }>;
  /** Jobs of other servers and DMs: counted, never shown. */
  hidden: number;
  comfyRemaining: number | undefined;
  now: number;
}

export interface BotStatus {
  servers: ServerStatus[];
  waiting: number;
  /** Jobs sent to ComfyUI and not yet delivered. */
  inFlight: number;
  uptimeMs: number;
}

export interface ServiceSettings {
  ADMIN_ROLE_ID?: string | undefined;
  BANNED_WORDS: readonly string[];
  ADMINS_EXEMPT: boolean;
  JOBS_PER_HOUR: number;
  COOLDOWN_SECONDS: number;
  GUILD_JOBS_PER_HOUR: number;
  GUILD_MAX_WAITING: number;
  MAX_WAITING_PER_USER: number;
}

export interface JobServiceDeps {
  settings: ServiceSettings;
  templates: ReadonlyMap<string, Template>;
  pool: Pick<ComfyPool, 'fitness' | 'describeMissing' | 'refreshStale' | 'comboValues' | 'anyUp' | 'queueRemaining' | 'size' | 'labelOf' | 'status' | 'names'>;
  /** When the bot started, for /status's uptime. */
  startedAt?: number;
  scheduler: Scheduler<PromptResult>;
  store: Pick<JobStore, 'recentByRequester' | 'recentByGuild' | 'recentInDms' | 'get' | 'latestOf'>;
  /** Posts a finished job's result again as the answer to another interaction (/show). */
  repost?: (job: Job, reply: ReplyTarget) => Promise<void>;
  /** How long finished jobs stay in the ledger (what a result's buttons can still reach). */
  keepDays: number;
  /** Per-channel (and per-category) defaults from config.yaml, read on every job so a reload applies at once. */
  channelDefaults?: () => ChannelDefaultsMap;
  /** The template each command uses when none is named (chosen from what the servers can run). */
  defaults: Readonly<Record<JobKind, string>>;
  now: () => number;
  shuttingDown: () => boolean;
  /** Shows a newly queued job its place (or that ComfyUI is unreachable and the job is kept). */
  announce: (job: Job, position: number, comfyDown: boolean) => void;
}

/** How long the slow checks may take before the member must be answered (Discord wants an answer within 3 s). */
const DECIDE_WITHIN_MS = 1_500;
const HOUR_MS = 3_600_000;
/** The refusal for a value a server does not offer, by parameter (each language names the thing itself). */
const NOT_INSTALLED: Readonly<Record<string, MessageId>> = {
  checkpoint: 'input.notInstalled.checkpoint', sampler: 'input.notInstalled.sampler', scheduler: 'input.notInstalled.scheduler',
  lora: 'input.notInstalled.lora', lora2: 'input.notInstalled.lora',
};

/** Times in refusals are whole seconds since the epoch; the catalog shows them (Discord: `<t:…:R>`, "in 5 minutes"). */
function epochSeconds(at: number): number {
  return Math.ceil(at / 1000);
}

/** Recent start times with the slots held by commands still in progress, oldest first. */
function withHeld(recent: readonly number[], held: readonly number[]): number[] {
  return held.length === 0 ? [...recent] : [...recent, ...held].sort((a, b) => a - b);
}

/**
 * The one place jobs are created, cancelled and listed; slash commands and buttons only translate Discord to
 * these calls. It owns template choice, parameter and combo checks, banned words, quotas and the shutting-down
 * refusal. No Discord here: requests and answers are plain values, refusals are UserErrors.
 */
export class JobService {
  /** Quota slots held by commands still being checked, so concurrent commands cannot all pass. */
  private readonly held = new InProgress();
  private readonly queueAsks: RateLimiter;

  constructor(private readonly deps: JobServiceDeps) {
    this.queueAsks = new RateLimiter({ burst: 3, perSecond: 0.2, now: deps.now });
  }

  /**
   * The channel's default template when it makes this kind of job (a /img2vid template says nothing about /imagine)
   * and some server can run it; otherwise the command's default, as for a configured default that cannot run.
   */
  private channelTemplate(kind: JobKind, name: string | undefined): string | undefined {
    const template = name === undefined ? undefined : this.deps.templates.get(name);
    return template?.command === kind && this.deps.pool.fitness(template) !== 'unfit' ? name : undefined;
  }

  /** A template of this command that some server can run; otherwise a sentence saying what is missing. */
  template(kind: JobKind, name = this.deps.defaults[kind]): Template {
    const { templates, pool } = this.deps;
    const template = templates.get(name);
    const runnable = this.runnableTemplates(kind);
    if (!template) throw new UserError('input.unknownTemplate', { name: shown(name), names: runnable.join(', ') || 'none' });
    if (template.command !== kind) throw new UserError('input.wrongTemplate', { name: shown(name), command: template.command, used: kind });
    if (pool.fitness(template) === 'unfit') {
      // What is missing may have been installed since the servers were last read: look again, for the next try.
      void pool.refreshStale(10_000);
      throw new UserError('input.unfit', { name: shown(name), reason: pool.describeMissing(template).join('; '), names: runnable.join(', ') || 'none' });
    }
    return template;
  }

  /**
   * Checks what a member asked for and queues it. Everything that can refuse comes before the public answer: the
   * cheap checks, then the member's quota slot is held, then the slow ones (catalogue, image download).
   */
  async submit(asked: SubmitRequest): Promise<Job> {
    const channel = channelDefaultsFor(this.deps.channelDefaults?.() ?? {}, asked.requester.channelId, asked.requester.categoryId);
    const template = this.template(asked.kind, asked.template ?? this.channelTemplate(asked.kind, channel?.template));
    const filled = { ...asked, ...applyChannelDefaults(asked, channel, paramRange(template)), spoiler: channel?.spoiler === true };
    const request = filled.aspect ? { ...filled, params: { ...filled.params, ...sizeOf(template, filled.aspect) } } : filled;
    const release = this.admit(request, template);
    try {
      const image = await this.decideSoon(this.slowChecks(template, request.params, request.fetchInput), request.whenSlow);
      await request.beforeQueue();
      return this.enqueue(request, template, image);
    } finally {
      release();
    }
  }

  /** Cancels one job (the caller's latest when no id is given); says what happened, truthfully. */
  async cancel(caller: Caller, id?: string): Promise<{ outcome: CancelOutcome | 'none'; id: string }> {
    const { scheduler } = this.deps;
    const job = id ? scheduler.get(id) : scheduler.latestOf(caller.userId);
    if (!job) return { outcome: id ? 'not-found' : 'none', id: id ?? '' };
    return { outcome: await scheduler.cancel(job.id, caller.userId, canManage(job, caller)), id: job.id };
  }

  /** `/cancel all`: every job of the admin's own server (waiting ones first, so none starts meanwhile). */
  async cancelAll(caller: Caller): Promise<number> {
    const { scheduler, settings } = this.deps;
    if (!caller.isAdmin) throw settings.ADMIN_ROLE_ID ? new UserError('cancel.allForbiddenRole', { role: settings.ADMIN_ROLE_ID }) : new UserError('cancel.allForbidden');
    const outcomes = await Promise.all(scheduler.jobsWhere((job) => administers(job, caller)).map((job) => scheduler.cancel(job.id, caller.userId, true)));
    return outcomes.filter((outcome) => outcome === 'removed' || outcome === 'deleted-from-comfy' || outcome === 'interrupted' || outcome === 'stopping' || outcome === 'deferred').length;
  }

  /** The ids of the jobs a caller may cancel (their own; an admin's server's), cheap enough for every keystroke. */
  cancellable(caller: Caller): string[] {
    return this.deps.scheduler.jobsWhere((job) => canManage(job, caller)).map((job) => job.id);
  }

  /**
   * What `/queue` shows a caller: running and waiting jobs they may see (places in line still count every job),
   * how many they may not, and ComfyUI's own queue length (undefined when no server answers). Callers spend an
   * ask with admitQueueAsk first.
   */
  async queue(caller: Omit<Caller, 'isAdmin'>): Promise<QueueView> {
    const { scheduler, pool } = this.deps;
    const comfyRemaining = await pool.queueRemaining(3_000);
    const { active, waiting } = scheduler.snapshot();
    const server = (job: Job) => (pool.size > 1 && job.backend ? pool.labelOf(job.backend) : undefined);
    const running = active.filter((job) => canSee(job, caller)).map((job) => ({ job, server: server(job) }));
    const shown = waiting.map((job, index) => ({ job, place: index + 1 })).filter(({ job }) => canSee(job, caller));
    return { running, waiting: shown, hidden: active.length - running.length + waiting.length - shown.length, comfyRemaining, now: this.deps.now() };
  }

  /**
   * /jobs: a member's latest jobs, newest first. Anyone sees their own (from every server and DMs); an admin may
   * name another member, and then sees only that member's jobs started in the admin's own server.
   */
  jobsOf(caller: Caller, memberId = caller.userId, limit = 10): Job[] {
    const { store, scheduler } = this.deps;
    const other = memberId !== caller.userId;
    if (other && !caller.isAdmin) throw new UserError('jobs.othersForbidden');
    const jobs = store.latestOf(memberId, other ? 100 : limit).filter((job) => !other || (caller.guildId !== null && job.origin.guildId === caller.guildId));
    // A job still in the scheduler is fresher there than its last ledger write.
    return jobs.slice(0, limit).map((job) => scheduler.get(job.id) ?? job);
  }

  /** /show's checks, before anything is answered publicly: the job exists, is the caller's (or an admin's), has a result. */
  showable(caller: Caller, jobId: string): Job {
    // Another server's job is answered as if it did not exist: ids are not to be probed.
    const job = this.result(jobId, caller);
    if (!canManage(job, caller)) throw new UserError('show.notYours', { id: job.id });
    // Its files are only where it ran: a server no longer configured cannot show them (another would show its own).
    if (job.backend !== undefined && !this.deps.pool.names.includes(job.backend)) throw new UserError('show.gone', { id: job.id });
    if (job.state !== 'done') throw new UserError(job.state === 'failed' || job.state === 'cancelled' ? 'show.nothing' : 'show.notFinished', { id: job.id });
    if (!job.outputs?.length || !this.deps.repost) throw new UserError('show.nothing', { id: job.id });
    return job;
  }

  /** /show: a finished job (from showable) posted again with its buttons, from the files ComfyUI still has. */
  async show(job: Job, reply: ReplyTarget): Promise<void> {
    if (!this.deps.repost) throw new UserError('show.nothing', { id: job.id });
    try {
      await this.deps.repost(job, reply);
    } catch (error) {
      if (error instanceof UserError) throw error;
      throw new UserError('show.gone', { id: job.id });
    }
  }

  /** /status: every server's state (labels, never addresses), and the bot's own queue and uptime. */
  async status(): Promise<BotStatus> {
    const { scheduler, pool, now } = this.deps;
    const servers = await pool.status(3_000);
    const { active, waiting } = scheduler.snapshot();
    return { servers, waiting: waiting.length, inFlight: active.length, uptimeMs: now() - (this.deps.startedAt ?? now()) };
  }

  /** Spends one of the caller's /queue asks, or refuses (asking every server costs requests); see queue(). */
  admitQueueAsk(caller: Omit<Caller, 'isAdmin'>): void {
    if (!this.queueAsks.take(caller.userId)) throw new UserError('queue.tooFast');
  }

  /** Autocomplete values for a job option: runnable templates of the command, or what the servers offer for a combo. */
  async suggestions(kind: JobKind, option: string, templateName: string | undefined): Promise<string[]> {
    const { templates, pool } = this.deps;
    if (option === 'template') return this.runnableTemplates(kind);
    const named = templates.get(templateName ?? this.deps.defaults[kind]);
    // A LoRA slot exists only once the job names a LoRA: ask for the template as it would be then.
    const template = named && withLoraSlots(named, { [option]: '' });
    const spec = template?.params[option];
    const node = spec ? template?.workflow[spec.node] : undefined;
    return spec && node ? pool.comboValues(node.class_type, spec.input).catch(() => []) : [];
  }

  /** The job behind a result's button, finished or not; a sentence when the ledger no longer has it. */
  result(jobId: string, caller?: Omit<Caller, 'isAdmin'>): Job {
    const job = this.deps.scheduler.get(jobId) ?? this.deps.store.get(jobId);
    // A job of another server (or someone's DM) is not the caller's to see: as if it did not exist.
    if (!job || (caller && !canSee(job, caller))) throw new UserError('result.gone', { days: this.deps.keepDays });
    return job;
  }

  /** The Edit form's fields: the job's words, and whether its template takes a negative prompt at all. */
  editable(caller: Caller, jobId: string): { prompt: string; negative: string | undefined } {
    const job = this.result(jobId, caller);
    if (job.kind !== 'imagine') throw new UserError('result.fromText', { id: jobId });
    const words = { ...job.params, ...job.values };
    const takesNegative = this.deps.templates.get(job.template)?.params['negative'] !== undefined;
    return { prompt: typeof words['prompt'] === 'string' ? words['prompt'] : '', negative: takesNegative ? String(words['negative'] ?? '') : undefined };
  }

  /**
   * A job made from a result's button: the same checks, limits and queue as a command. `fetchPicture` downloads
   * the result's picture (the button's image), for the follow-ups that start from it.
   */
  async fromResult(request: Omit<SubmitRequest, 'kind' | 'template' | 'params' | 'fetchInput' | 'parent'> & {
    action: FollowUp; jobId: string; image: number; fetchPicture: () => Promise<InputImage>; edit?: { prompt: string; negative: string | undefined };
  }): Promise<Job> {
    const parent = this.result(request.jobId, request.requester);
    const wholeJob = request.action === 'reroll' || request.action === 'edit';
    if (wholeJob && parent.kind !== 'imagine') throw new UserError('result.fromText', { id: parent.id });
    const derived = deriveJob(parent, request.action, request.edit);
    const template = this.template(derived.kind, derived.template ?? this.deps.defaults[derived.kind]);
    return this.submit({
      ...request, kind: derived.kind, template: template.name, params: paramsFor(template, derived.params, derived.strict),
      // A reroll or an edit comes from the whole job (-1), the others from one of its pictures.
      parent: { jobId: parent.id, image: wholeJob ? -1 : request.image }, ...(derived.usesPicture ? { fetchInput: request.fetchPicture } : {}),
    });
  }

  /**
   * Delete under a result: its requester, or an admin of the server it was made in. Once the ledger has forgotten
   * the job, `requesterId` (who Discord says the message answered) decides, and admins may still clean up.
   */
  mayDelete(caller: Caller, jobId: string, requesterId: string | undefined): boolean {
    const job = this.deps.scheduler.get(jobId) ?? this.deps.store.get(jobId);
    if (job) return canManage(job, caller);
    return caller.userId === requesterId || caller.isAdmin;
  }

  /** The names of this kind's templates that some server can run (or that no server has described yet). */
  private runnableTemplates(kind: JobKind): string[] {
    return [...this.deps.templates.values()].filter((template) => template.command === kind && this.deps.pool.fitness(template) !== 'unfit').map((template) => template.name);
  }

  /** Which follow-ups some server can run now (their default template fits): the buttons shown under results. */
  runnable(): Runnable {
    const fits = (kind: JobKind): boolean => {
      const template = this.deps.templates.get(this.deps.defaults[kind]);
      return template !== undefined && template.command === kind && this.deps.pool.fitness(template) !== 'unfit';
    };
    return { img2img: fits('img2img'), upscale: fits('upscale'), img2vid: fits('img2vid') };
  }

  /** The synchronous checks; holds the member's quota slot (returns its release) so concurrent commands see it. */
  private admit(request: SubmitRequest, template: Template): () => void {
    const { settings } = this.deps;
    if (this.deps.shuttingDown()) throw new UserError('bot.restarting');
    const prompt = request.params['prompt'];
    const banned = typeof prompt === 'string' ? findBannedWord(prompt, settings.BANNED_WORDS) : undefined;
    if (banned) throw new UserError('input.banned', { word: shown(banned) });
    const imageParam = imageParamOf(template);
    try {
      fillWorkflow(template, imageParam ? { ...request.params, [imageParam]: 'check.png' } : request.params, { seed: () => 0 });
    } catch (error) {
      throw error instanceof ParamError ? new ParamError(error.param, shown(error.message)) : error;
    }
    const { requester } = request;
    this.checkWaitingCap(requester);
    // isAdmin is false in DMs, so DMs never skip the limits.
    if (!(settings.ADMINS_EXEMPT && requester.isAdmin)) this.checkLimits(requester);
    return this.held.hold([memberKey(requester), guildKey(requester)], this.deps.now());
  }

  private async slowChecks(template: Template, params: Params, fetchInput?: () => Promise<InputImage>): Promise<InputImage | undefined> {
    await this.checkCombos(template, params);
    return fetchInput?.();
  }

  /** Checks combo values (checkpoint, sampler…) against what the servers offer, when they can be asked. */
  private async checkCombos(template: Template, params: Params): Promise<void> {
    for (const { name, value, classType, input } of comboChoices(template, params)) {
      let options: string[];
      try {
        options = await this.deps.pool.comboValues(classType, input);
      } catch {
        return; // ComfyUI unreachable: the job waits, and ComfyUI's own validation speaks later.
      }
      if (options.length > 0 && !options.includes(value)) {
        throw new UserError(NOT_INSTALLED[name] ?? 'input.notInstalled', { what: name, value: shown(value), options: options.slice(0, 10).join(', ') });
      }
    }
  }

  /** The outcome of `work` if it comes within DECIDE_WITHIN_MS; otherwise lets the caller answer, and waits on. */
  private async decideSoon<T>(work: Promise<T>, whenSlow: () => Promise<void>): Promise<T> {
    const late = Symbol('late');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<typeof late>((resolve) => {
      timer = setTimeout(() => resolve(late), DECIDE_WITHIN_MS);
    });
    const first = await Promise.race([work, deadline]).finally(() => clearTimeout(timer));
    if (first !== late) return first;
    await whenSlow();
    return work;
  }

  /** Queues a job that passed every check and shows its place. */
  private enqueue(request: SubmitRequest, template: Template, image: InputImage | undefined): Job {
    const { scheduler, pool } = this.deps;
    const { requester, reply } = request;
    const job = scheduler.enqueue({
      kind: request.kind, template: template.name, params: request.params, ...(image ? { input: image } : {}),
      requester: { id: requester.userId, name: requester.name }, ...(request.parent ? { parent: request.parent } : {}),
      ...(requester.locale ? { locale: requester.locale } : {}),
      ...(requester.guildLocale ? { guildLocale: requester.guildLocale } : {}),
      ...(request.spoiler ? { spoiler: true } : {}),
      origin: {
        guildId: requester.guildId, channelId: requester.channelId,
        interactionId: reply.interactionId, interactionToken: reply.interactionToken,
        // Receipt time, not the snowflake: the token's 15 minutes count from about now.
        interactionAt: this.deps.now(),
        attachmentLimit: reply.attachmentLimit,
      },
    });
    this.deps.announce(job, scheduler.positionOf(job), scheduler.unavailable || !pool.anyUp);
    return job;
  }

  /**
   * Per-member cooldown and hourly cap, per-guild hourly cap and waiting cap; says when to try again. All DMs
   * together count as one more guild, so a member cannot escape the server limits by writing to the bot directly.
   */
  private checkLimits(requester: Requester): void {
    const { settings, store, scheduler } = this.deps;
    const now = this.deps.now();
    const mineRecent = withHeld(store.recentByRequester(requester.userId, now - HOUR_MS), this.held.times(memberKey(requester)));
    const mine = checkQuota(mineRecent, now, { perHour: settings.JOBS_PER_HOUR, cooldownSeconds: settings.COOLDOWN_SECONDS });
    if (!mine.ok) throw new UserError(mine.reason === 'cooldown' ? 'quota.cooldown' : 'quota.hourly', { at: epochSeconds(mine.retryAt), limit: settings.JOBS_PER_HOUR });
    const { guildId } = requester;
    const recent = guildId ? store.recentByGuild(guildId, now - HOUR_MS) : store.recentInDms(now - HOUR_MS);
    const guild = checkQuota(withHeld(recent, this.held.times(guildKey(requester))), now, { perHour: settings.GUILD_JOBS_PER_HOUR, cooldownSeconds: 0 });
    if (!guild.ok) throw new UserError(guildId ? 'quota.guildHourly' : 'quota.dmHourly', { at: epochSeconds(guild.retryAt), limit: settings.GUILD_JOBS_PER_HOUR });
    // guildId is null for DMs, and so is a DM job's origin: they form one bucket.
    const waiting = scheduler.countWaiting((job) => job.origin.guildId === guildId) + this.held.times(guildKey(requester)).length;
    if (settings.GUILD_MAX_WAITING > 0 && waiting >= settings.GUILD_MAX_WAITING) {
      throw new UserError(guildId ? 'quota.guildWaiting' : 'quota.dmWaiting', { limit: settings.GUILD_MAX_WAITING });
    }
  }

  /** The scheduler's own cap on a member's waiting jobs (admins too), checked early so its refusal stays private. */
  private checkWaitingCap(requester: Requester): void {
    const limit = this.deps.settings.MAX_WAITING_PER_USER;
    const waiting = this.deps.scheduler.countWaiting((job) => job.requester.id === requester.userId) + this.held.times(memberKey(requester)).length;
    if (waiting >= limit) throw new UserError('input.quota', { limit });
  }
}

/** Which parameters a template takes, and the range of its whole-number ones (for channel defaults). */
function paramRange(template: Template): ParamRange {
  return (param) => {
    const spec = template.params[param];
    if (spec === undefined) return undefined;
    return spec.type === 'int' ? { min: spec.min, max: spec.max, ...(spec.multipleOf ? { multipleOf: spec.multipleOf } : {}) } : {};
  };
}

/** Width and height for a ratio, around the template's base size (its declared one, else its default width). */
function sizeOf(template: Template, aspect: AspectRatio): { width: number; height: number } {
  const { width, height } = template.params;
  if (width?.type !== 'int' || height?.type !== 'int') throw new UserError('input.noSize', { name: template.name });
  const fallback = width.default ?? template.workflow[width.node]?.inputs[width.input];
  const size = sizeForRatio(aspect, template.base ?? (typeof fallback === 'number' ? fallback : 1024));
  const fit = (side: number, spec: typeof width): number => Math.min(spec.max, Math.max(spec.min, side));
  return { width: fit(size.width, width), height: fit(size.height, height) };
}

const memberKey = (requester: Requester): string => `member:${requester.userId}`;
// All DMs form one bucket, as in the ledger's guild counts (their guild id is null).
const guildKey = (requester: Requester): string => `guild:${requester.guildId ?? 'dm'}`;
