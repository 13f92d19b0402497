import type { SimWorkflow } from './validate.js';

export interface QueueEntry {
  number: number;
  promptId: string;
  prompt: SimWorkflow;
  extraData: Record<string, unknown>;
  outputs: string[];
}

export type UiOutput = Record<string, unknown>;

export interface SimHistoryEntry {
  prompt: [number, string, SimWorkflow, Record<string, unknown>, string[]];
  outputs: Record<string, UiOutput>;
  status: { status_str: 'success' | 'error'; completed: boolean; messages: Array<[string, Record<string, unknown>]> };
  meta: Record<string, unknown>;
}

export interface PromptRecord {
  promptId: string;
  clientId: string | undefined;
  queuedAt: number;
  startedAt?: number;
  finishedAt?: number;
  outcome?: 'success' | 'error' | 'interrupted';
}

const HISTORY_CAP = 10_000;

/** Everything ComfyUI keeps in memory (lost on restart) plus the files it wrote. */
export class SimState {
  counter = 0;
  pending: QueueEntry[] = [];
  running: QueueEntry | undefined;
  history = new Map<string, SimHistoryEntry>();
  /** `${type}/${subfolder}/${filename}` → bytes. */
  files = new Map<string, Buffer>();
  /** Every /upload/mask: the saved name, the original it named, and the mask's bytes as sent. */
  readonly maskUploads: Array<{ name: string; subfolder: string; originalRef: unknown; mask: Buffer }> = [];
  /** Node signature → its UI output (null for nodes without UI): ComfyUI's execution cache. */
  cache = new Map<string, UiOutput | null>();
  fileCounters = new Map<string, number>();

  queueRemaining(): number {
    return this.pending.length + (this.running ? 1 : 0);
  }

  takeNext(): QueueEntry | undefined {
    if (this.pending.length === 0) return undefined;
    let best = 0;
    for (let i = 1; i < this.pending.length; i++) if ((this.pending[i] as QueueEntry).number < (this.pending[best] as QueueEntry).number) best = i;
    return this.pending.splice(best, 1)[0];
  }

  recordHistory(promptId: string, entry: SimHistoryEntry): void {
    this.history.set(promptId, entry);
    while (this.history.size > HISTORY_CAP) this.history.delete(this.history.keys().next().value as string);
  }

  nextCounter(folderKey: string): number {
    const next = (this.fileCounters.get(folderKey) ?? 0) + 1;
    this.fileCounters.set(folderKey, next);
    return next;
  }

  /** A restart: queue, history and caches are lost; temp files are wiped; outputs and inputs stay on disk. */
  wipe(): void {
    this.pending = [];
    this.running = undefined;
    this.history.clear();
    this.cache.clear();
    for (const key of this.files.keys()) if (key.startsWith('temp/')) this.files.delete(key);
  }
}

export function fileKey(type: string, subfolder: string, filename: string): string {
  return `${type}/${subfolder}/${filename}`;
}

/** LoadImage's value: `name`, `sub/name`, optionally with a ` [input]` annotation. */
export function inputFileKey(value: string): string {
  const plain = value.replace(/ \[input\]$/, '');
  const slash = plain.lastIndexOf('/');
  return slash < 0 ? fileKey('input', '', plain) : fileKey('input', plain.slice(0, slash), plain.slice(slash + 1));
}
