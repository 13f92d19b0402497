/**
 * Edits a message no more than Discord tolerates: only when the text changes, and at most once every
 * `intervalMs`; the latest text wins. Edits run one at a time so they land in order.
 */
export class ThrottledEditor {
  private lastText: string | undefined;
  private lastAt = -Infinity;
  private pendingText: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private dirty = false;

  constructor(
    private readonly edit: (text: string) => Promise<void>,
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  show(text: string): void {
    if (this.closed || (text === (this.pendingText ?? this.lastText) && !this.dirty)) return;
    this.pendingText = text;
    this.schedule();
  }

  /** Something shown beside the text changed (a preview picture): edit again, within the same budget. */
  touch(): void {
    if (this.closed || this.lastText === undefined) return;
    this.dirty = true;
    this.pendingText ??= this.lastText;
    this.schedule();
  }

  private schedule(): void {
    const wait = this.lastAt + this.intervalMs - this.now();
    if (wait <= 0) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), wait);
  }

  /** Stops further progress edits and waits for the one in flight, so a final edit lands after it. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.chain;
  }

  private flush(): void {
    this.timer = undefined;
    const text = this.pendingText;
    this.pendingText = undefined;
    if (text === undefined || (text === this.lastText && !this.dirty) || this.closed) return;
    this.dirty = false;
    this.lastText = text;
    this.lastAt = this.now();
    this.chain = this.chain.then(() => this.edit(text)).catch(() => undefined);
  }
}

export function progressBar(value: number, max: number, width = 10): string {
  const filled = max > 0 ? Math.round((value / max) * width) : 0;
  return '▰'.repeat(filled) + '▱'.repeat(width - filled);
}
