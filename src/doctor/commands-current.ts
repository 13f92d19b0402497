/**
 * Whether Discord's copy of a command is ours: every field we send is there with our value. Discord adds fields
 * (ids, versions, defaults) and leaves out empty ones, so `false`, `null` and `[]` on our side may be missing on its.
 */
export function sameDefinition(ours: unknown, theirs: unknown): boolean {
  if (ours === undefined) return true;
  if (ours === null || ours === false || (Array.isArray(ours) && ours.length === 0)) {
    return theirs === undefined || theirs === null || theirs === ours || (Array.isArray(theirs) && theirs.length === 0);
  }
  if (Array.isArray(ours)) {
    return Array.isArray(theirs) && theirs.length === ours.length && ours.every((item, index) => sameDefinition(item, theirs[index]));
  }
  if (typeof ours === 'object') {
    if (typeof theirs !== 'object' || theirs === null || Array.isArray(theirs)) return false;
    const other = new Map(Object.entries(theirs));
    return Object.entries(ours).every(([key, value]) => sameDefinition(value, other.get(key)));
  }
  return ours === theirs;
}

export interface CommandsComparison {
  missing: string[];
  outdated: string[];
  /** Registered by this application but no longer offered by the bot. */
  stale: string[];
}

export function compareCommands(ours: ReadonlyArray<{ name: string }>, registered: ReadonlyArray<{ name: string }>): CommandsComparison {
  const byName = new Map(registered.map((command) => [command.name, command]));
  const names = new Set(ours.map((command) => command.name));
  return {
    missing: ours.filter((command) => !byName.has(command.name)).map((command) => command.name),
    outdated: ours.filter((command) => byName.has(command.name) && !sameDefinition(command, byName.get(command.name))).map((command) => command.name),
    stale: registered.filter((command) => !names.has(command.name)).map((command) => command.name),
  };
}
