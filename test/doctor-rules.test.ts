import { describe, expect, it } from 'vitest';
import { compareCommands, sameDefinition } from '../src/doctor/commands-current.js';
import { channelPermissions, guildPermissions, missingPermissions } from '../src/doctor/permissions.js';

const GUILD = '100000000000000001';
const ROLE = '100000000000000002';
const BOT = '100000000000000003';

describe('the permissions doctor computes, in Discord\'s order', () => {
  const member = { userId: BOT, roleIds: [ROLE], isOwner: false };
  const base = guildPermissions(GUILD, [{ id: GUILD, permissions: 1024n }, { id: ROLE, permissions: 2048n | 16384n | 32768n }], member);

  it('adds @everyone and the member\'s roles; Administrator is everything', () => {
    expect(missingPermissions(base)).toEqual([]);
    expect(missingPermissions(guildPermissions(GUILD, [{ id: GUILD, permissions: 8n }], { ...member, roleIds: [] }))).toEqual([]);
    expect(missingPermissions(guildPermissions(GUILD, [{ id: GUILD, permissions: 1024n }], { ...member, roleIds: [] }))).toEqual(['Send Messages', 'Embed Links', 'Attach Files']);
  });

  it('applies @everyone\'s overwrite, then the roles\', then the member\'s own', () => {
    const everyoneDenies = { id: GUILD, type: 0, allow: 0n, deny: 2048n };
    expect(missingPermissions(channelPermissions(GUILD, base, [everyoneDenies], member))).toEqual(['Send Messages']);
    expect(missingPermissions(channelPermissions(GUILD, base, [everyoneDenies, { id: ROLE, type: 0, allow: 2048n, deny: 0n }], member))).toEqual([]);
    expect(missingPermissions(channelPermissions(GUILD, base, [{ id: ROLE, type: 0, allow: 0n, deny: 32768n }, { id: BOT, type: 1, allow: 32768n, deny: 0n }], member))).toEqual([]);
    expect(missingPermissions(channelPermissions(GUILD, base, [{ id: BOT, type: 1, allow: 0n, deny: 1024n }], member))).toEqual(['View Channel']);
  });
});

describe('whether Discord\'s copy of a command is ours', () => {
  it('ignores what Discord adds and the empty values it leaves out, and sees a changed text', () => {
    const ours = { name: 'imagine', description: 'Make a picture', options: [{ type: 3, name: 'prompt', description: 'what', required: true, autocomplete: false, choices: [] }] };
    const theirs = { id: '1', version: '2', name: 'imagine', description: 'Make a picture', options: [{ type: 3, name: 'prompt', description: 'what', required: true }] };
    expect(sameDefinition(ours, theirs)).toBe(true);
    expect(sameDefinition(ours, { ...theirs, description: 'old' })).toBe(false);
    expect(sameDefinition(ours, { ...theirs, options: [] })).toBe(false);
    expect(compareCommands([ours, { name: 'queue' }], [theirs, { name: 'gone' }])).toEqual({ missing: ['queue'], outdated: [], stale: ['gone'] });
  });
});
