import { ACTIONS_V1, parseRfc3339, type PolicyResourceV1, type PolicySubjectV1 } from '@tagguard/contracts';
import { invalid } from './policy.errors';

// The input rules every feature's decider shares: ids, names, actions, subjects, resources, times.

const MAX_ID = 128;
const MAX_NAME = 200;
const KINDS = new Set(ACTIONS_V1.map((a) => a.slice(0, a.indexOf('.'))));
const ACTIONS = new Set<string>(ACTIONS_V1);

export function idOf(value: string, field: string): string {
  if (!value || !value.trim()) throw invalid(field, 'is required');
  if (value.length > MAX_ID) throw invalid(field, `must be at most ${MAX_ID} characters`);
  return value;
}

export function nameOf(value: string, field: string, max = MAX_NAME): string {
  const name = (value ?? '').trim();
  if (!name) throw invalid(field, 'is required');
  if (name.length > max) throw invalid(field, `must be at most ${max} characters`);
  return name;
}

/** An action of ACTIONS_V1, `*`, or `<kind>.*` for a kind of the catalogue. */
export function actionOf(value: string, field: string): string {
  if (value === '*' || ACTIONS.has(value)) return value;
  if (value.endsWith('.*') && KINDS.has(value.slice(0, -2))) return value;
  throw invalid(field, `"${value}" is not an action (e.g. customer_tags.view, member_tags.*, *)`);
}

/** Distinct, valid entries in the order given (a repeated entry is not an error). */
export function listOf(
  values: readonly string[],
  field: string,
  each: (v: string, f: string) => string,
): string[] {
  return [...new Set(values.map((v, i) => each(v, `${field}[${i}]`)))];
}

export function subjectOf(subject: PolicySubjectV1 | undefined, field: string): PolicySubjectV1 {
  if (!subject) throw invalid(field, 'is required (an employee, a department or a role)');
  switch (subject.kind) {
    case 'employee':
      return { kind: 'employee', id: idOf(subject.id, `${field}.employeeId`) };
    case 'role':
      return { kind: 'role', id: idOf(subject.id, `${field}.roleId`) };
    case 'department':
      return {
        kind: 'department',
        id: idOf(subject.id, `${field}.department.departmentId`),
        includeSubDepartments: subject.includeSubDepartments,
      };
  }
}

export function resourceOf(resource: PolicyResourceV1 | undefined, field: string): PolicyResourceV1 {
  if (!resource) throw invalid(field, 'is required (a permission group, a tag or a tag group)');
  const names = { permission_group: 'permissionGroupId', tag: 'tagId', tag_group: 'tagGroupId' } as const;
  return { kind: resource.kind, id: idOf(resource.id, `${field}.${names[resource.kind]}`) };
}

/** RFC 3339 with a zone, normalised to UTC; null for none. */
export function instantOf(value: string | null, field: string): string | null {
  if (value === null || value === '') return null;
  const ms = parseRfc3339(value);
  if (ms === undefined)
    throw invalid(field, 'must be an RFC 3339 time with a zone, e.g. 2026-12-31T00:00:00Z');
  return new Date(ms).toISOString();
}

/** Structural equality of plain JSON values (a command that changes nothing appends nothing). */
export const sameValue = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
