/** What a job makes: a picture from text, a video from a picture, a picture from a picture, a larger picture. */
export const JOB_KINDS = ['imagine', 'img2vid', 'img2img', 'upscale', 'inpaint'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/**
 * waiting: in the bot's fair queue · submitting: its prompt id is chosen and on its way to ComfyUI ·
 * submitted: inside ComfyUI (pending there) · running: ComfyUI runs it · delivering: outputs are on their way
 * to Discord · then one of done, failed, cancelled.
 */
export const JOB_STATES = ['waiting', 'submitting', 'submitted', 'running', 'delivering', 'done', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];

export interface Requester {
  id: string;
  name: string;
}

/** Where the job came from and where its answer goes; opaque to the scheduler. */
export interface JobOrigin {
  guildId: string | null;
  channelId: string | null;
  interactionId: string;
  interactionToken: string;
  /** When Discord created the interaction (its token lives 15 minutes from then). */
  interactionAt: number;
  /** Largest attachment the interaction may upload, in bytes. */
  attachmentLimit: number;
}

export interface JobProgress {
  phase: 'queued' | 'started' | 'node' | 'sampling';
  value?: number;
  max?: number;
  /** Position in ComfyUI's own queue when pending there. */
  position?: number;
}

export interface Job {
  id: string;
  kind: JobKind;
  template: string;
  /** Parameters as the member gave them (validated); the template fills in the rest. */
  params: Record<string, string | number | boolean>;
  requester: Requester;
  origin: JobOrigin;
  state: JobState;
  createdAt: number;
  promptId?: string;
  /** Resolved values actually sent (seed included), for the embed. */
  values?: Record<string, string | number | boolean>;
  progress?: JobProgress;
  submittedAt?: number;
  startedAt?: number;
  finishedAt?: number;
  /** Times ComfyUI lost this prompt (restart) and we sent it again. */
  resubmits: number;
  /** Which ComfyUI server has it (when there are several). */
  backend?: string;
  /** The Discord message that shows this job (the interaction's reply). */
  messageId?: string;
  /** Where the result is being (or was) sent: 'original', 'channel:<id>' or 'dm:<id>'; recorded before sending. */
  deliveryTarget?: string;
  /** The message that carries the result, recorded once Discord confirmed it: the result was delivered. */
  deliveryMessageId?: string;
  /** Loaded from the ledger after a restart: delivery first checks whether it already happened. */
  recovered?: boolean;
  /** Failed submissions in a row (HTTP 5xx); after a few the job fails instead of retrying forever. */
  submitFailures?: number;
  /** What the job produced, as ComfyUI named the files (kept so /show can post it again). */
  outputs?: Array<{ filename: string; subfolder: string; type: string; kind: 'image' | 'animation' | 'video' | 'audio' | 'other'; bytes?: number }>;
  /** How long ComfyUI ran it, when the bot saw it start and end (what estimates learn from). */
  runMs?: number;
  /** Outputs already shown, by index, while a result split over several messages is being posted. */
  delivered?: number[];
  /** The server's locale, for what is posted in its channels (late results); the requester's otherwise. */
  guildLocale?: string;
  /** The requester's Discord locale (en-US, zh-CN…): the language the job's messages are written in. */
  locale?: string;
  /** The result this job was made from (a button under it): that job's id and which of its images (0-based). */
  parent?: { jobId: string; image: number };
  /** Results are posted behind a spoiler (the channel's config asks for it). */
  spoiler?: boolean;
  /** Outputs ComfyUI dropped when it accepted the prompt (a 200 with node_errors), in plain sentences. */
  dropped?: string[];
}

export const FINAL_STATES: ReadonlySet<JobState> = new Set(['done', 'failed', 'cancelled']);
