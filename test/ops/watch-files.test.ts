import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { watchFiles } from '../../src/ops/watch-files.js';
import { waitFor } from '../helpers.js';

let dir: string | undefined;
let stop: (() => void) | undefined;
afterEach(async () => {
  stop?.();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('watching config.yaml and the templates folder', () => {
  it('sees a file renamed over (as editors save), and a folder deleted and made again', async () => {
    dir = await mkdtemp(join(tmpdir(), 'watch-'));
    const templates = join(dir, 'templates');
    await mkdir(templates);
    let changes = 0;
    stop = watchFiles([{ path: join(dir, 'config.yaml'), kind: 'file' }, { path: templates, kind: 'folder' }], () => changes++, 50);

    await writeFile(join(dir, 'config.yaml.tmp'), 'a: 1');
    await rename(join(dir, 'config.yaml.tmp'), join(dir, 'config.yaml'));
    await waitFor(() => changes >= 1, 'the renamed-over config.yaml');

    const before = changes;
    await rm(templates, { recursive: true });
    await mkdir(templates);
    await waitFor(() => changes > before, 'the folder made again');
    const after = changes;
    await writeFile(join(templates, 'x.json'), '{}');
    await waitFor(() => changes > after, 'a file in the new folder');
    expect(changes).toBeGreaterThan(after);
  });
});
