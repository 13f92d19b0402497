import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

/**
 * Calls `changed` once things settle after a file is written, renamed over (what editors do) or added. Watches
 * folders, not files, so a file replaced by rename, or created later, is still seen. A folder that cannot be
 * watched (it does not exist) is skipped.
 */
export function watchFiles(targets: ReadonlyArray<{ path: string; kind: 'file' | 'folder' }>, changed: () => void, settleMs = 300): () => void {
  let timer: NodeJS.Timeout | undefined;
  const poke = (): void => {
    clearTimeout(timer);
    timer = setTimeout(changed, settleMs);
  };
  const watchers: FSWatcher[] = [];
  for (const target of targets) {
    const folder = target.kind === 'file' ? dirname(target.path) : target.path;
    const only = target.kind === 'file' ? basename(target.path) : undefined;
    try {
      const watcher = watch(folder, { persistent: false }, (_event, name) => {
        if (only === undefined || name === only) poke();
      });
      watcher.on('error', () => watcher.close());
      watchers.push(watcher);
    } catch {
      // Nothing to watch there (yet); /bot reload still works.
    }
  }
  return () => {
    clearTimeout(timer);
    for (const watcher of watchers) watcher.close();
  };
}
