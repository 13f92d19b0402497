import { describe, expect, it } from 'vitest';
import { InProgress } from '../../src/policy/in-progress.js';
import { RateLimiter } from '../../src/policy/rate-limit.js';

describe('RateLimiter', () => {
  it('allows a burst, then one request per refill, per key', () => {
    let now = 0;
    const limiter = new RateLimiter({ burst: 3, perSecond: 0.2, now: () => now });
    expect([limiter.take('ann'), limiter.take('ann'), limiter.take('ann'), limiter.take('ann')]).toEqual([true, true, true, false]);
    expect(limiter.take('bob')).toBe(true);
    now += 4_999;
    expect(limiter.take('ann')).toBe(false);
    now += 1;
    expect([limiter.take('ann'), limiter.take('ann')]).toEqual([true, false]);
  });

  it('refills no further than the burst, and a refused request costs nothing', () => {
    let now = 0;
    const limiter = new RateLimiter({ burst: 2, perSecond: 1, now: () => now });
    now += 60_000;
    expect([limiter.take('ann'), limiter.take('ann'), limiter.take('ann')]).toEqual([true, true, false]);
    now += 500;
    expect(limiter.take('ann')).toBe(false);
    now += 500;
    expect(limiter.take('ann')).toBe(true);
  });

  it('forgets idle members once it holds too many', () => {
    let now = 0;
    const limiter = new RateLimiter({ burst: 1, perSecond: 1, now: () => now, maxKeys: 2 });
    expect([limiter.take('a'), limiter.take('b')]).toEqual([true, true]);
    now += 1_000;
    expect(limiter.take('c')).toBe(true);
    expect((limiter as unknown as { buckets: Map<string, unknown> }).buckets.size).toBe(1);
    expect(limiter.take('c')).toBe(false);
  });
});

describe('InProgress', () => {
  it('counts held slots under every key until released, once', () => {
    const held = new InProgress();
    const first = held.hold(['member:1', 'guild:9'], 100);
    const second = held.hold(['member:1', 'guild:9'], 200);
    expect(held.times('member:1')).toEqual([100, 200]);
    first();
    first();
    expect(held.times('member:1')).toEqual([200]);
    expect(held.times('guild:9')).toEqual([200]);
    second();
    expect(held.times('guild:9')).toEqual([]);
  });
});
