import type { MemberRef } from '../../domain/tag-catalog.events';
import type { ItemResult } from '../../domain/tag-members';

export type EmployeeStatus = 'active' | 'disabled' | 'left';

/** What tag-service's copy of the directory holds about one object (a member candidate). */
export interface DirectoryFact {
  removed: boolean;
  /** Employees only. */
  status?: EmployeeStatus;
}

/**
 * The directory facts of the members a command names, loaded at the edge from the local copy.
 * `mirrored` is false while no directory event of the tenant has reached tag-service: then nothing can
 * be checked and every id passes (docs/decisions.md D34).
 */
export interface DirectoryFacts {
  mirrored: boolean;
  /** By `<kind>:<id>`; absent: the copy never heard of it. */
  known: Map<string, DirectoryFact>;
}

export const directoryKey = (m: MemberRef): string => `${m.kind}:${m.id}`;

/** A new member the directory does not back: why it cannot be added; undefined when it can. */
export function refusedByDirectory(member: MemberRef, facts: DirectoryFacts): ItemResult | undefined {
  if (!facts.mirrored) return undefined;
  const fact = facts.known.get(directoryKey(member));
  if (!fact || fact.removed)
    return { member, outcome: 'not_found', reason: `no ${member.kind} ${member.id} in the directory` };
  if (member.kind === 'employee' && fact.status && fact.status !== 'active')
    return {
      member,
      outcome: 'not_allowed',
      reason: fact.status === 'left' ? `employee ${member.id} has left` : `employee ${member.id} is disabled`,
    };
  return undefined;
}

/** How an existing membership reads against the copy: '' when backed, else why it is flagged. */
export function membershipFlag(
  member: MemberRef,
  facts: DirectoryFacts,
): '' | 'disabled' | 'left' | 'removed' {
  if (!facts.mirrored) return '';
  const fact = facts.known.get(directoryKey(member));
  if (!fact) return '';
  if (fact.removed) return 'removed';
  return member.kind === 'employee' && fact.status && fact.status !== 'active' ? fact.status : '';
}
