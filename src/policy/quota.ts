export interface QuotaLimits {
  /** Jobs a member may start per rolling hour (0 = no limit). */
  perHour: number;
  /** Seconds a member waits between jobs (0 = none). */
  cooldownSeconds: number;
}

export type QuotaVerdict = { ok: true } | { ok: false; reason: 'hourly' | 'cooldown'; retryAt: number };

const HOUR_MS = 3_600_000;

/**
 * Pure: given the creation times of someone's recent jobs (oldest first), may they start another now, and if
 * not, when? The hourly window is rolling: the next slot opens an hour after the oldest job in it.
 */
export function checkQuota(recent: readonly number[], now: number, limits: QuotaLimits): QuotaVerdict {
  const inWindow = recent.filter((at) => at > now - HOUR_MS);
  const last = inWindow.at(-1);
  if (limits.cooldownSeconds > 0 && last !== undefined && now - last < limits.cooldownSeconds * 1000) {
    return { ok: false, reason: 'cooldown', retryAt: last + limits.cooldownSeconds * 1000 };
  }
  if (limits.perHour > 0 && inWindow.length >= limits.perHour) {
    return { ok: false, reason: 'hourly', retryAt: (inWindow[inWindow.length - limits.perHour] as number) + HOUR_MS };
  }
  return { ok: true };
}
