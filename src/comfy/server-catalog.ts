import type { ComfyClient } from './client.js';
import type { ObjectInfo } from './schemas.js';
import { comboOptions } from './template-check.js';

/** /object_info is several MB on real servers: fetched once, refreshed after `ttlMs`, shared by all readers. */
export class ServerCatalog {
  private cached: { info: ObjectInfo; at: number } | undefined;
  private inflight: Promise<ObjectInfo> | undefined;

  constructor(private readonly client: ComfyClient, private readonly ttlMs = 5 * 60_000, private readonly now: () => number = Date.now) {}

  async objectInfo(): Promise<ObjectInfo> {
    if (this.cached && this.now() - this.cached.at < this.ttlMs) return this.cached.info;
    this.inflight ??= this.client.objectInfo().then((info) => {
      this.cached = { info, at: this.now() };
      return info;
    }).finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /** The last known copy, even if stale; undefined before the first successful fetch. */
  peek(): ObjectInfo | undefined {
    return this.cached?.info;
  }

  async options(classType: string, input: string): Promise<string[]> {
    return comboOptions((await this.objectInfo())[classType], input) ?? [];
  }
}
