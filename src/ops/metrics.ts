import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Job, JobState } from '../jobs/job.js';

const SECONDS = [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800];
const DELIVERY_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30];

/** What the jobs look like now, read when Prometheus scrapes (not kept up to date on every change). */
export interface JobCounts {
  byState(): Partial<Record<JobState, number>>;
  waiting(): number;
}

/**
 * The bot's Prometheus metrics (prom-client): jobs by state and outcome, queue length, wait and run times per
 * template and server, delivery latency, Discord 429s, ComfyUI errors by kind, and the process's own.
 */
export class BotMetrics {
  readonly registry = new Registry();
  private readonly outcomes: Counter<'outcome'>;
  private readonly waits: Histogram<'template' | 'server'>;
  private readonly runs: Histogram<'template' | 'server'>;
  private readonly deliveries: Histogram<'outcome'>;
  private readonly rateLimits: Counter<'route'>;
  private readonly comfyErrors: Counter<'kind'>;

  constructor(counts: JobCounts, private readonly serverLabel: (name: string | undefined) => string = (name) => name ?? '') {
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    new Gauge({
      name: 'bot_jobs', help: 'Unfinished jobs by state', labelNames: ['state'], registers,
      collect() {
        this.reset();
        for (const [state, count] of Object.entries(counts.byState())) this.set({ state }, count ?? 0);
      },
    });
    new Gauge({ name: 'bot_queue_length', help: 'Jobs waiting in the bot (not yet sent to ComfyUI)', registers, collect() { this.set(counts.waiting()); } });
    this.outcomes = new Counter({ name: 'bot_jobs_finished_total', help: 'Finished jobs by outcome', labelNames: ['outcome'], registers });
    this.waits = new Histogram({ name: 'bot_job_wait_seconds', help: 'From accepted to running in ComfyUI', labelNames: ['template', 'server'], buckets: SECONDS, registers });
    this.runs = new Histogram({ name: 'bot_job_run_seconds', help: 'ComfyUI run time, start to end', labelNames: ['template', 'server'], buckets: SECONDS, registers });
    this.deliveries = new Histogram({ name: 'bot_delivery_seconds', help: 'From ComfyUI finished to the result in Discord', labelNames: ['outcome'], buckets: DELIVERY_SECONDS, registers });
    this.rateLimits = new Counter({ name: 'bot_discord_rate_limited_total', help: 'Discord 429 answers', labelNames: ['route'], registers });
    this.comfyErrors = new Counter({ name: 'bot_comfyui_errors_total', help: 'ComfyUI errors by kind', labelNames: ['kind'], registers });
  }

  started(job: Job): void {
    if (job.startedAt !== undefined) this.waits.observe(this.labels(job), Math.max(0, job.startedAt - job.createdAt) / 1000);
  }

  finished(job: Job, outcome: 'done' | 'failed' | 'cancelled', now: number): void {
    this.outcomes.inc({ outcome });
    if (job.runMs !== undefined) this.runs.observe(this.labels(job), job.runMs / 1000);
    if (outcome !== 'cancelled' && job.finishedAt !== undefined) this.deliveries.observe({ outcome }, Math.max(0, now - job.finishedAt) / 1000);
  }

  rateLimited(route: string): void {
    // Routes carry ids; the metric keeps their shape only, so its label values stay few.
    this.rateLimits.inc({ route: route.replace(/\/\d{5,}/g, '/:id').replace(/\/webhooks\/:id\/[^/]+/, '/webhooks/:id/:token') });
  }

  comfyError(kind: string): void {
    this.comfyErrors.inc({ kind });
  }

  /** Servers by their label, as members and admins know them (never their address). */
  private labels(job: Job): { template: string; server: string } {
    return { template: job.template, server: job.backend === undefined ? '' : this.serverLabel(job.backend) };
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}

