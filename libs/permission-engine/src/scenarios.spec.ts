import { check } from './check';
import { expand, type ExpandNode } from './expand';
import { lookupResources, lookupSubjects } from './lookup';
import type { CheckSubject } from './model';
import { PolicyWorld, restricted } from './testing/policy-fixture';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const director: CheckSubject = { employeeId: 'director', tokenRoles: [] };
const VIEW = 'customer_tags.view';

/**
 * DOMAIN.md: a five-level nested customer-tag tree (customers › region › industry › tier › customer); a new
 * risk director sees customers that should be hidden, because two starred department grant rules sit above
 * his personal deny; dragging them to the bottom of the tree hides the customers.
 */
const riskTenant = () =>
  new PolicyWorld()
    .department('hq')
    .department('risk', 'hq')
    .department('risk-control', 'risk')
    .department('sales', 'hq')
    .employee('director', 'risk-control')
    .employee('analyst', 'risk-control')
    .employee('seller', 'sales')
    .tagGroup('customers')
    .tagGroup('east', 'customers')
    .tagGroup('finance', 'east')
    .tagGroup('key-accounts', 'finance')
    .tag('bank-a', 'key-accounts')
    .tag('bank-b', 'key-accounts')
    .tag('shop', 'east')
    .role('risk-viewer', [VIEW])
    .assign('as1', 'risk-viewer', { kind: 'department', id: 'hq', includeSubDepartments: true })
    .rule({
      ruleId: 'star-hq',
      effect: 'grant',
      starred: true,
      subject: { kind: 'department', id: 'hq', includeSubDepartments: false },
      resource: { kind: 'tag_group', id: 'customers' },
    })
    .rule({
      ruleId: 'star-risk',
      effect: 'grant',
      starred: true,
      subject: { kind: 'department', id: 'risk', includeSubDepartments: false },
      resource: { kind: 'tag_group', id: 'east' },
    })
    .rule({
      ruleId: 'director-personal',
      effect: 'deny',
      subject: { kind: 'employee', id: 'director' },
      resource: { kind: 'tag_group', id: 'key-accounts' },
    });

describe('scenario: the five-level risk-director tree', () => {
  it('Given two starred department grants above his personal deny, When the director views a key account, Then he sees it (the bug)', () => {
    const d = check(riskTenant().snapshot(), { subject: director, action: VIEW, tagId: 'bank-a', at: NOW });
    expect(d.allowed).toBe(true);
    expect(d.levels[1]).toMatchObject({
      level: 'department_inheritance',
      outcome: 'allow',
      decidedBy: ['star-hq'],
    });
  });
  it('Given the two starred rules dragged to the bottom, When the director views a key account, Then DENY by his personal rule', () => {
    const snapshot = riskTenant().moveToBottom('star-hq', 'star-risk').snapshot();
    const d = check(snapshot, { subject: director, action: VIEW, tagId: 'bank-a', at: NOW });
    expect(d.allowed).toBe(false);
    expect(d.levels[1]).toMatchObject({ outcome: 'deny', decidedBy: ['director-personal'] });
    // Only the key accounts change: the rest of the tree and his colleagues keep their grants.
    expect(check(snapshot, { subject: director, action: VIEW, tagId: 'shop', at: NOW }).allowed).toBe(true);
    expect(
      check(snapshot, {
        subject: { employeeId: 'analyst', tokenRoles: [] },
        action: VIEW,
        tagId: 'bank-a',
        at: NOW,
      }).allowed,
    ).toBe(true);
  });
  it('Given the fix, When the director looks up what he may see, Then the key accounts are gone', () => {
    const all = ['bank-a', 'bank-b', 'shop', 'customers', 'east', 'finance', 'key-accounts'];
    const before = lookupResources(riskTenant().snapshot(), director, VIEW, all, { limit: 100, at: NOW });
    expect(before.ids).toEqual([...all].sort());
    const after = lookupResources(
      riskTenant().moveToBottom('star-hq', 'star-risk').snapshot(),
      director,
      VIEW,
      all,
      { limit: 100, at: NOW },
    );
    expect(after.ids).toEqual(['customers', 'east', 'finance', 'shop']);
  });
});

describe('lookups, paged by a stable cursor', () => {
  const world = () =>
    riskTenant()
      .moveToBottom('star-hq', 'star-risk')
      .tag('secret', 'customers', {
        visibility: restricted({ departments: [{ departmentId: 'risk', includeSubDepartments: true }] }),
      });
  it('Given 7 visible tags of 8, When paged by 3, Then the pages cover them once each and the last has no cursor', () => {
    const snapshot = world().snapshot();
    const all = ['bank-a', 'bank-b', 'shop', 'customers', 'east', 'finance', 'key-accounts', 'secret'];
    const seller: CheckSubject = { employeeId: 'seller', tokenRoles: [] };
    const pages: string[][] = [];
    let after: string | null = null;
    do {
      const r: { ids: string[]; next: string | null } = lookupResources(snapshot, seller, VIEW, all, {
        after,
        limit: 3,
        at: NOW,
      });
      pages.push(r.ids);
      after = r.next;
    } while (after !== null);
    expect(pages).toEqual([['bank-a', 'bank-b', 'customers'], ['east', 'finance', 'key-accounts'], ['shop']]);
  });
  it('Given a versioned candidate set, When paged, Then it is sorted once per version, and a new id shows after a bump', () => {
    const snapshot = world().snapshot();
    const seller: CheckSubject = { employeeId: 'seller', tokenRoles: [] };
    const tags = new Set(['shop', 'bank-a', 'customers', 'east']);
    let reads = 0;
    const source = { source: tags, version: 1, ids: () => (reads++, tags.values()) };
    const first = lookupResources(snapshot, seller, VIEW, source, { limit: 2, at: NOW });
    const second = lookupResources(snapshot, seller, VIEW, source, { after: first.next, limit: 2, at: NOW });
    expect([...first.ids, ...second.ids]).toEqual(['bank-a', 'customers', 'east', 'shop']);
    expect(reads).toBe(1);
    tags.add('bank-b');
    const stale = lookupResources(snapshot, seller, VIEW, source, { limit: 10, at: NOW });
    expect([stale.ids, reads]).toEqual([['bank-a', 'customers', 'east', 'shop'], 1]);
    const fresh = lookupResources(snapshot, seller, VIEW, { ...source, version: 2 }, { limit: 10, at: NOW });
    expect([fresh.ids, reads]).toEqual([['bank-a', 'bank-b', 'customers', 'east', 'shop'], 2]);
  });
  it('Given a restricted tag, When asked who may see it, Then only the listed department and its sub-departments', () => {
    const r = lookupSubjects(
      world().snapshot(),
      'secret',
      VIEW,
      ['seller', 'director', 'analyst', 'nobody'],
      { limit: 10, at: NOW },
    );
    expect(r).toEqual({ ids: ['analyst', 'director'], next: null });
    const key = lookupSubjects(world().snapshot(), 'bank-a', VIEW, ['seller', 'director', 'analyst'], {
      limit: 1,
      at: NOW,
    });
    expect(key).toEqual({ ids: ['analyst'], next: 'analyst' });
    expect(
      lookupSubjects(world().snapshot(), 'bank-a', VIEW, ['seller', 'director', 'analyst'], {
        after: 'analyst',
        limit: 1,
        at: NOW,
      }),
    ).toEqual({
      ids: ['seller'],
      next: null,
    });
  });
  it('rejects a non-positive limit', () => {
    expect(() => lookupSubjects(world().snapshot(), 'secret', VIEW, [], { limit: 0, at: NOW })).toThrow(
      RangeError,
    );
  });
});

describe('expand: the tree of reasons', () => {
  it('Given the risk tenant, When expanding a key account, Then the rules in tree order, the roles with their holders and the visibility path', () => {
    const tree = expand(riskTenant().snapshot(), 'bank-a', VIEW);
    if (tree.kind !== 'all_of') throw new Error('expected all_of');
    const [freeze, department, role, visibility] = tree.children as ExpandNode[];
    expect(freeze).toMatchObject({ kind: 'leaf', ids: [] });
    expect(department).toMatchObject({ kind: 'first_match', groupId: null });
    if (department!.kind !== 'first_match') throw new Error('expected first_match');
    expect(department!.rules.map((r) => [r.ruleId, r.effect])).toEqual([
      ['star-hq', 'grant'],
      ['star-risk', 'grant'],
      ['director-personal', 'deny'],
    ]);
    expect(role).toMatchObject({
      kind: 'any_of',
      children: [
        { kind: 'leaf', ids: ['tenant_admin'] },
        { kind: 'role', roleId: 'risk-viewer', holders: [{ assignmentId: 'as1' }] },
      ],
    });
    expect(visibility).toMatchObject({ kind: 'all_of' });
    if (visibility!.kind !== 'all_of') throw new Error('expected all_of');
    expect(visibility!.children.map((c) => (c.kind === 'visibility' ? c.tagId : '?'))).toEqual([
      'bank-a',
      'key-accounts',
      'finance',
      'east',
      'customers',
    ]);
  });
  it('Given a tag in two permission groups, When expanding, Then one first-match list per group', () => {
    const w = riskTenant()
      .group('g1', ['bank-a'])
      .group('g2', [], ['finance'])
      .rule({
        ruleId: 'g1-deny',
        effect: 'deny',
        subject: { kind: 'role', id: 'risk-viewer' },
        resource: { kind: 'permission_group', id: 'g1' },
      });
    const tree = expand(w.snapshot(), 'bank-a', VIEW);
    if (tree.kind !== 'all_of') throw new Error('expected all_of');
    const department = tree.children[1]!;
    if (department.kind !== 'all_of') throw new Error('expected all_of');
    expect(
      department.children.map((c) =>
        c.kind === 'first_match' ? [c.groupId, c.rules.map((r) => r.ruleId)] : null,
      ),
    ).toEqual([
      ['g1', ['star-hq', 'star-risk', 'director-personal', 'g1-deny']],
      ['g2', ['star-hq', 'star-risk', 'director-personal']],
    ]);
  });
  it('Given a member tag, When expanding a customer-tag action on it, Then the role scope admits no one and says why', () => {
    const w = riskTenant().tag('market-2', null, { kind: 'member' });
    const tree = expand(w.snapshot(), 'market-2', VIEW);
    if (tree.kind !== 'all_of') throw new Error('expected all_of');
    expect(tree.children[2]).toEqual({
      kind: 'any_of',
      label: `role scope: ${VIEW} acts on customer tags; market-2 is a member tag: no role covers it`,
      children: [],
    });
    const own = expand(w.snapshot(), 'market-2', 'member_tags.view');
    if (own.kind !== 'all_of') throw new Error('expected all_of');
    expect(own.children[2]).toMatchObject({
      kind: 'any_of',
      label: 'role scope: a role held must cover member_tags.view',
    });
  });
});
