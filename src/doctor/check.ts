/** One line of the doctor's table: ✔ passed, ! worth knowing, ✘ failed (with what to do in the text). */
export interface Check {
  status: 'ok' | 'warn' | 'fail';
  text: string;
}

export const ok = (text: string): Check => ({ status: 'ok', text });
export const warn = (text: string): Check => ({ status: 'warn', text });
export const fail = (text: string): Check => ({ status: 'fail', text });

export function formatCheck(check: Check): string {
  return `${check.status === 'ok' ? '✔' : check.status === 'warn' ? '!' : '✘'} ${check.text}`;
}
