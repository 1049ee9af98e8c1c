import type { AffectedTag, SensitivePolicy, SensitivityLevel } from './tag-catalog.events';

/** The graduated policy: how many members an operation touches decides how loudly it is reported. */
export function classify(members: number, policy: SensitivePolicy): SensitivityLevel {
  if (members >= policy.criticalThreshold) return 'critical';
  if (members >= policy.warningThreshold) return 'warning';
  return 'none';
}

export function describeAffected(affected: AffectedTag[]): string {
  const total = affected.reduce((n, t) => n + t.memberCount, 0);
  const names = affected.map((t) => `${t.name} (${t.memberCount})`).join(', ');
  return `${affected.length} tag(s), ${total} member(s): ${names}`;
}
