import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

/**
 * Calls `changed` once things settle after a file is written, renamed over (what editors do) or added. Watches
 * folders, not files, so a file replaced by rename, or created later, is still seen; a watched folder is also
 * watched from its parent, and every watch is set up again after each change, so a folder deleted and made again
 * (a deploy swapping it) is followed. A folder that cannot be watched (it does not exist yet) is skipped.
 */
export function watchFiles(targets: ReadonlyArray<{ path: string; kind: 'file' | 'folder' }>, changed: () => void, settleMs = 300): () => void {
  let timer: NodeJS.Timeout | undefined;
  let watchers: FSWatcher[] = [];
  let closed = false;
  const poke = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      arm();
      changed();
    }, settleMs);
  };
  const watchOne = (folder: string, only: string | undefined): void => {
    try {
      const watcher = watch(folder, { persistent: false }, (_event, name) => {
        if (only === undefined || name === only) poke();
      });
      watcher.on('error', () => watcher.close());
      watchers.push(watcher);
    } catch {
      // Nothing to watch there (yet); /bot reload still works.
    }
  };
  const arm = (): void => {
    if (closed) return;
    for (const watcher of watchers) watcher.close();
    watchers = [];
    for (const target of targets) {
      watchOne(dirname(target.path), basename(target.path));
      if (target.kind === 'folder') watchOne(target.path, undefined);
    }
  };
  arm();
  return () => {
    closed = true;
    clearTimeout(timer);
    for (const watcher of watchers) watcher.close();
  };
}
