import { describe, expect, it } from 'vitest';
import { administers, canManage, canSee, type Caller } from '../../src/policy/admin.js';

const job = (requester: string, guildId: string | null) => ({
  requester: { id: requester, name: requester },
  origin: { guildId, channelId: 'c', interactionId: 'i', interactionToken: 't', interactionAt: 0, attachmentLimit: 0 },
});
const caller = (userId: string, guildId: string | null, isAdmin: boolean): Caller => ({ userId, guildId, isAdmin });

describe('canManage: who may cancel a job', () => {
  it('lets a member cancel her own jobs, wherever they were started', () => {
    expect(canManage(job('ann', 'A'), caller('ann', 'B', false))).toBe(true);
    expect(canManage(job('ann', null), caller('ann', 'A', false))).toBe(true);
    expect(canManage(job('ann', 'A'), caller('ann', null, false))).toBe(true);
  });

  it('refuses other members\' jobs to a member who is not an admin', () => {
    expect(canManage(job('ann', 'A'), caller('bob', 'A', false))).toBe(false);
  });

  it('gives an admin power over her own server\'s jobs only', () => {
    expect(canManage(job('ann', 'A'), caller('boss', 'A', true))).toBe(true);
    expect(canManage(job('ann', 'A'), caller('boss', 'B', true))).toBe(false);
    expect(canManage(job('ann', null), caller('boss', 'B', true))).toBe(false);
  });

  it('gives no admin power in a DM, even if the caller claims it', () => {
    expect(canManage(job('ann', null), caller('boss', null, true))).toBe(false);
    expect(canManage(job('ann', 'A'), caller('boss', null, true))).toBe(false);
  });
});

describe('administers: what /cancel all reaches', () => {
  it('is the admin\'s own server\'s jobs, her own included, and nothing else', () => {
    expect(administers(job('boss', 'A'), caller('boss', 'A', true))).toBe(true);
    expect(administers(job('ann', 'A'), caller('boss', 'A', true))).toBe(true);
    expect(administers(job('boss', 'B'), caller('boss', 'A', true))).toBe(false);
    expect(administers(job('ann', 'A'), caller('ann', 'A', false))).toBe(false);
  });
});

describe('canSee: whose details /queue shows', () => {
  it('shows the caller\'s own jobs and her server\'s, never another server\'s or a DM\'s', () => {
    expect(canSee(job('ann', 'A'), caller('bob', 'A', false))).toBe(true);
    expect(canSee(job('ann', 'B'), caller('ann', 'A', false))).toBe(true);
    expect(canSee(job('ann', 'B'), caller('bob', 'A', true))).toBe(false);
    expect(canSee(job('ann', null), caller('bob', null, false))).toBe(false);
  });
});
