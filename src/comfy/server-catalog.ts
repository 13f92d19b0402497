import type { ComfyClient } from './client.js';
import type { ObjectInfo } from './schemas.js';
import { comboOptions } from './template-check.js';

export interface CatalogOptions {
  ttlMs?: number;
  now?: () => number;
  /** Told once per node type whose description could not be read (it is left out; the server stays usable). */
  onSkipped?: (nodeTypes: string[]) => void;
}

/** /object_info is several MB on real servers: fetched once, refreshed after `ttlMs`, shared by all readers. */
export class ServerCatalog {
  private cached: { info: ObjectInfo; at: number } | undefined;
  private inflight: Promise<ObjectInfo> | undefined;
  private readonly reported = new Set<string>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(private readonly client: ComfyClient, private readonly settings: CatalogOptions = {}) {
    this.ttlMs = settings.ttlMs ?? 5 * 60_000;
    this.now = settings.now ?? Date.now;
  }

  async objectInfo(): Promise<ObjectInfo> {
    if (this.cached && this.now() - this.cached.at < this.ttlMs) return this.cached.info;
    this.inflight ??= this.client.objectInfoReport().then(({ info, skipped }) => {
      this.reportSkipped(skipped);
      this.cached = { info, at: this.now() };
      return info;
    }).finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /** Fetches again unless the copy is younger than `maxAgeMs` (an admin may have installed a model or a node). */
  /** Resolves true when it read the catalogue again. */
  async refresh(maxAgeMs: number): Promise<boolean> {
    if (this.cached && this.now() - this.cached.at < maxAgeMs) return false;
    if (this.cached) this.cached = { ...this.cached, at: -Infinity };
    await this.objectInfo();
    return true;
  }

  /** The last known copy, even if stale; undefined before the first successful fetch. */
  peek(): ObjectInfo | undefined {
    return this.cached?.info;
  }

  async options(classType: string, input: string): Promise<string[]> {
    return comboOptions((await this.objectInfo())[classType], input) ?? [];
  }

  private reportSkipped(skipped: readonly string[]): void {
    const fresh = skipped.filter((name) => !this.reported.has(name));
    for (const name of fresh) this.reported.add(name);
    if (fresh.length > 0) this.settings.onSkipped?.(fresh);
  }
}
