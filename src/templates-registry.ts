import { fileURLToPath } from 'node:url';

/** The shipped templates, then the admin's folder (whose files may override shipped ones by name). */
export function templateDirs(extraDir: string | undefined): string[] {
  const shipped = fileURLToPath(new URL('../workflows/', import.meta.url));
  return extraDir ? [shipped, extraDir] : [shipped];
}
