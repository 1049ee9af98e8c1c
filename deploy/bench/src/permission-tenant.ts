import type { PermissionRuleV1, PolicyResourceV1, PolicySubjectV1 } from '@tagguard/contracts';
// Test fixtures are not in the lib's index: the service builds leave testing/ out (deploy/build).
import { PolicyWorld, restricted } from '@tagguard/permission-engine/testing';

/**
 * The benchmark tenant of issue 12: 10,000 tags (a five-level tree of tag groups over 8,750 leaf tags),
 * 2,000 departments five levels deep, 100,000 employees, 5,000 rules, 200 permission groups, 20 roles.
 * Deterministic (a seeded PRNG), so two runs measure the same tenant.
 *
 * `conflictFree`: deny rules only on resources under the first two root tag groups, grant rules only
 * elsewhere, permission groups inside one zone: no request is covered by both a grant and a deny, so the
 * ordered first match equals Cedar's forbid-overrides and the two can be compared request by request.
 * Otherwise rules land anywhere and the tree order decides real conflicts (engine only).
 */
export type PermissionTenant = {
  world: PolicyWorld;
  departments: { id: string; parent: string | null; level: number }[];
  employees: { id: string; department: string }[];
  tags: { id: string; parent: string | null; level: number; isGroup: boolean; zone: number }[];
  leaves: string[];
  roleScopes: Map<string, string[]>;
  /** Role ids assigned to each employee directly / to each department with sub-departments. */
  employeeRoles: Map<string, string[]>;
  departmentRoles: Map<string, string[]>;
  groups: { id: string; tagIds: string[]; tagGroupIds: string[] }[];
  rules: PermissionRuleV1[];
  visibility: Map<string, { departments: string[]; memberIds: string[] }>;
};

export const BENCH_ACTIONS = ['customer_tags.view', 'customer_tags.edit'] as const;

export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  return { next, int, pick };
}

export function generateTenant(options: { conflictFree: boolean; seed?: number }): PermissionTenant {
  const r = prng(options.seed ?? 12);
  const world = new PolicyWorld('bench');

  const departments: PermissionTenant['departments'] = [];
  const byLevel: string[][] = [];
  [1, 9, 90, 400, 1500].forEach((size, level) => {
    byLevel[level] = [];
    for (let i = 0; i < size; i++) {
      const id = `d${departments.length}`;
      const parent = level === 0 ? null : r.pick(byLevel[level - 1]!);
      departments.push({ id, parent, level });
      byLevel[level]!.push(id);
      world.department(id, parent);
    }
  });
  const deepDepartments = [...byLevel[3]!, ...byLevel[4]!];
  const employees = Array.from({ length: 100_000 }, (_, i) => ({
    id: `e${i}`,
    department: r.pick(deepDepartments),
  }));
  for (const e of employees) world.employee(e.id, e.department);

  const tags: PermissionTenant['tags'] = [];
  const tagLevels: { id: string; zone: number }[][] = [];
  [10, 40, 200, 1000, 8750].forEach((size, level) => {
    tagLevels[level] = [];
    for (let i = 0; i < size; i++) {
      const id = `t${tags.length}`;
      const parent = level === 0 ? null : r.pick(tagLevels[level - 1]!);
      const zone = level === 0 ? (i < 2 ? 0 : 1) : parent!.zone;
      tags.push({ id, parent: parent?.id ?? null, level, isGroup: level < 4, zone });
      tagLevels[level]!.push({ id, zone });
    }
  });
  const leaves = tagLevels[4]!.map((t) => t.id);
  const inZone = (level: number, zone: number | null) =>
    tagLevels[level]!.filter((t) => zone === null || t.zone === zone).map((t) => t.id);
  const zoneOf = (effect: 'grant' | 'deny') => (options.conflictFree ? (effect === 'deny' ? 0 : 1) : null);

  const visibility = new Map<string, { departments: string[]; memberIds: string[] }>();
  for (const t of tags) {
    const v =
      !t.isGroup && r.next() < 0.2
        ? {
            departments: Array.from({ length: 1 + r.int(2) }, () => r.pick([...byLevel[1]!, ...byLevel[2]!])),
            memberIds: Array.from({ length: r.int(3) }, () => r.pick(employees).id),
          }
        : null;
    if (v) visibility.set(t.id, v);
    const facts = v
      ? {
          visibility: restricted({
            departments: v.departments.map((departmentId) => ({ departmentId, includeSubDepartments: true })),
            memberIds: v.memberIds,
          }),
        }
      : {};
    if (t.isGroup) world.tagGroup(t.id, t.parent, facts);
    else world.tag(t.id, t.parent, facts);
  }

  const roleScopes = new Map<string, string[]>();
  for (let i = 0; i < 20; i++) {
    const scopes = i % 4 === 0 ? ['customer_tags.*'] : ['customer_tags.view'];
    if (i % 5 === 0) scopes.push('customer_fields.view');
    roleScopes.set(`role${i}`, scopes);
    world.role(`role${i}`, scopes);
  }
  const employeeRoles = new Map<string, string[]>();
  const departmentRoles = new Map<string, string[]>();
  const shallow = [...byLevel[1]!, ...byLevel[2]!, ...byLevel[3]!];
  for (let i = 0; i < 300; i++) {
    const role = r.pick([...roleScopes.keys()]);
    const dept = r.pick(shallow);
    departmentRoles.set(dept, [...(departmentRoles.get(dept) ?? []), role]);
    world.assign(`ad${i}`, role, { kind: 'department', id: dept, includeSubDepartments: true });
  }
  for (let i = 0; i < 2000; i++) {
    const role = r.pick([...roleScopes.keys()]);
    const e = r.pick(employees).id;
    employeeRoles.set(e, [...(employeeRoles.get(e) ?? []), role]);
    world.assign(`ae${i}`, role, { kind: 'employee', id: e });
  }

  const leavesInZone = [inZone(4, 0), inZone(4, 1)];
  const groups: PermissionTenant['groups'] = [];
  for (let i = 0; i < 200; i++) {
    const zone = options.conflictFree ? (i < 40 ? 0 : 1) : null;
    const tagGroupIds = [r.pick(inZone(3, zone))];
    const tagIds = Array.from({ length: 5 }, () => r.pick(zone === null ? leaves : leavesInZone[zone]!));
    const g = { id: `pg${i}`, tagIds: [...new Set(tagIds)], tagGroupIds };
    groups.push(g);
    world.group(g.id, g.tagIds, g.tagGroupIds);
  }
  const groupsInZone = (zone: number | null) =>
    groups.filter((_, i) => zone === null || (i < 40 ? 0 : 1) === zone).map((g) => g.id);
  const groupTags = [
    [...inZone(1, 0), ...inZone(2, 0), ...inZone(3, 0)],
    [...inZone(1, 1), ...inZone(2, 1), ...inZone(3, 1)],
  ];
  const allGroupTags = [...groupTags[0]!, ...groupTags[1]!];

  const rules: PermissionRuleV1[] = [];
  const deptSubjects = [...byLevel[1]!, ...byLevel[2]!, ...byLevel[3]!, ...byLevel[4]!];
  for (let i = 0; i < 5000; i++) {
    const effect = r.next() < 0.15 ? 'deny' : 'grant';
    const zone = zoneOf(effect);
    const s = r.next();
    const subject: PolicySubjectV1 =
      s < 0.5
        ? { kind: 'department', id: r.pick(deptSubjects), includeSubDepartments: false }
        : s < 0.7
          ? { kind: 'role', id: r.pick([...roleScopes.keys()]) }
          : { kind: 'employee', id: r.pick(employees).id };
    const k = r.next();
    const resource: PolicyResourceV1 =
      k < 0.5
        ? { kind: 'tag', id: r.pick(zone === null ? leaves : leavesInZone[zone]!) }
        : k < 0.85
          ? { kind: 'tag_group', id: r.pick(zone === null ? allGroupTags : groupTags[zone]!) }
          : { kind: 'permission_group', id: r.pick(groupsInZone(zone)) };
    const a = r.next();
    const actions = a < 0.5 ? [] : a < 0.8 ? ['customer_tags.view'] : ['customer_tags.*'];
    // Starred: department rules inherit downward and tag group rules cover every tag below (Cedar's `in`).
    rules.push({
      ruleId: `rule${String(i).padStart(4, '0')}`,
      effect,
      subject,
      resource,
      actions,
      starred: true,
      description: '',
      removed: false,
    });
  }
  for (const rule of rules) world.rule(rule, { append: false });
  world.order(rules.map((x) => x.ruleId));
  return {
    world,
    departments,
    employees,
    tags,
    leaves,
    roleScopes,
    employeeRoles,
    departmentRoles,
    groups,
    rules,
    visibility,
  };
}

export type BenchRequest = { employeeId: string; tagId: string; action: string };

/** Requests over random employees and leaf tags, 90% views. */
export function benchRequests(tenant: PermissionTenant, n: number, seed = 7): BenchRequest[] {
  const r = prng(seed);
  return Array.from({ length: n }, () => ({
    employeeId: r.pick(tenant.employees).id,
    tagId: r.pick(tenant.leaves),
    action: r.next() < 0.9 ? 'customer_tags.view' : 'customer_tags.edit',
  }));
}
