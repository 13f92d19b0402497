import { fileURLToPath } from 'node:url';

/** The project root, whether this runs from src/ (tsx) or from the build in dist/src/. */
const ROOT = new URL(import.meta.url.includes('/dist/src/') ? '../../' : '../', import.meta.url);

/** The shipped templates, then the admin's folder (whose files may override shipped ones by name). */
export function templateDirs(extraDir: string | undefined): string[] {
  const shipped = fileURLToPath(new URL('workflows/', ROOT));
  return extraDir ? [shipped, extraDir] : [shipped];
}
