import { z } from 'zod';

/** Zod checks of Discord options, worded for members ("steps must be between 1 and 100"). */
export function wholeNumber(name: string, min: number, max: number) {
  const range = `${name} must be between ${min} and ${max}`;
  return z.number({ error: `${name} must be a number` }).int(`${name} must be a whole number`).min(min, range).max(max, range).optional();
}

export function decimal(name: string, min: number, max: number) {
  const range = `${name} must be between ${min} and ${max}`;
  return z.number({ error: `${name} must be a number` }).min(min, range).max(max, range).optional();
}

export function text(name: string, max: number) {
  return z.string({ error: `${name} must be text` }).max(max, `${name} must be at most ${max} characters`).optional();
}
