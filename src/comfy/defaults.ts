import type { Template } from './templates.js';

export interface DefaultChoice {
  name: string;
  /** Set when the configured default was not taken, saying why (for the log and `doctor`). */
  reason?: string;
}

/**
 * The template a command uses when the member names none: the configured one if some server can run it;
 * otherwise the first (by name) of that command that can run, so the choice never depends on file order;
 * otherwise the configured one still, and jobs then say what is missing.
 */
export function chooseDefault(
  command: string,
  configured: string,
  templates: ReadonlyMap<string, Template>,
  fitness: (template: Template) => 'fits' | 'unfit' | 'unknown',
  missing: (template: Template) => string[],
): DefaultChoice {
  const wanted = templates.get(configured);
  if (wanted && wanted.command === command && fitness(wanted) !== 'unfit') return { name: configured };
  const why = !wanted ? `there is no template "${configured}"`
    : wanted.command !== command ? `"${configured}" is a /${wanted.command} template`
      : `"${configured}" cannot run: ${missing(wanted).join('; ')}`;
  const runnable = [...templates.values()].filter((template) => template.command === command && fitness(template) === 'fits').map((template) => template.name).sort();
  const fallback = runnable[0];
  if (fallback) return { name: fallback, reason: `${why}; using ${fallback} instead` };
  return { name: configured, reason: `${why}, and no other /${command} template can run either` };
}
