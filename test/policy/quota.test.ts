import { describe, expect, it } from 'vitest';
import { checkQuota } from '../../src/policy/quota.js';

const HOUR = 3_600_000;

describe('checkQuota', () => {
  it('allows when under the limits', () => {
    expect(checkQuota([], 0, { perHour: 1, cooldownSeconds: 10 })).toEqual({ ok: true });
  });

  it('enforces a cooldown after the last job', () => {
    expect(checkQuota([1_000], 5_000, { perHour: 0, cooldownSeconds: 10 })).toEqual({ ok: false, reason: 'cooldown', retryAt: 11_000 });
    expect(checkQuota([1_000], 11_000, { perHour: 0, cooldownSeconds: 10 })).toEqual({ ok: true });
  });

  it('opens the next hourly slot an hour after the oldest job in the window', () => {
    const recent = [HOUR, HOUR + 10, HOUR + 20];
    expect(checkQuota(recent, HOUR + 30, { perHour: 3, cooldownSeconds: 0 })).toEqual({ ok: false, reason: 'hourly', retryAt: 2 * HOUR });
    expect(checkQuota(recent, 2 * HOUR + 1, { perHour: 3, cooldownSeconds: 0 })).toEqual({ ok: true });
  });
});
