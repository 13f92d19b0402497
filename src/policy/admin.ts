import type { Job } from '../jobs/job.js';

/**
 * Who acts on jobs. `isAdmin` is what Discord said about the interaction's own guild (Manage Server or the admin
 * role there), so it says nothing about any other server's jobs.
 */
export interface Caller {
  userId: string;
  /** null in a DM. */
  guildId: string | null;
  isAdmin: boolean;
}

type Placed = Pick<Job, 'requester' | 'origin'>;

/** An admin's power covers the jobs started in her own server: never another server's, and nothing from a DM. */
export function administers(job: Placed, caller: Caller): boolean {
  return caller.isAdmin && caller.guildId !== null && job.origin.guildId === caller.guildId;
}

/** May the caller cancel this job: her own, wherever started, or her server's as its admin. */
export function canManage(job: Placed, caller: Caller): boolean {
  return job.requester.id === caller.userId || administers(job, caller);
}

/** May /queue show this job's id and member to the caller: her own, or one from the server she asks in. */
export function canSee(job: Placed, caller: Omit<Caller, 'isAdmin'>): boolean {
  return job.requester.id === caller.userId || (caller.guildId !== null && job.origin.guildId === caller.guildId);
}
