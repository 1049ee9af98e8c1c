import type { CheckSubject, Decision, LevelName } from './model';
import { check } from './check';
import { compiledPolicy } from './policy-index';
import { PolicyWorld, restricted } from './testing/policy-fixture';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const as = (employeeId: string, ...tokenRoles: string[]): CheckSubject => ({ employeeId, tokenRoles });

/** Given a world, when a subject asks for an action on a tag (with fields), then the decision. */
function given(build: (w: PolicyWorld) => PolicyWorld) {
  const world = build(new PolicyWorld());
  return {
    when(subject: CheckSubject, action: string, tagId: string, fields?: Record<string, string>, at = NOW) {
      const decision = check(world.snapshot(), { subject, action, tagId, fields, at });
      const levelOf = (name: LevelName) => decision.levels.find((l) => l.level === name);
      return {
        decision,
        thenAllowed(): Decision {
          expect(decision.levels.filter((l) => l.outcome === 'deny')).toEqual([]);
          expect(decision.allowed).toBe(true);
          return decision;
        },
        thenDeniedAt(level: LevelName, decidedBy?: string[]): Decision {
          expect(decision.allowed).toBe(false);
          const last = decision.levels[decision.levels.length - 1]!;
          expect(last).toMatchObject({ level, outcome: 'deny' });
          if (decidedBy) expect(last.decidedBy).toEqual(decidedBy);
          return decision;
        },
        level: levelOf,
      };
    },
  };
}

/** A small tenant: head office → sales → sales-east; head office → risk; customer tags under a root group. */
const tenant = (w: PolicyWorld) =>
  w
    .department('hq')
    .department('sales', 'hq')
    .department('east', 'sales')
    .department('risk', 'hq')
    .employee('alice', 'east')
    .employee('bob', 'sales')
    .employee('guest', 'risk')
    .tagGroup('customers')
    .tagGroup('vip-group', 'customers')
    .tag('vip', 'vip-group')
    .tag('plain', 'customers');

describe('check: level 0, freeze', () => {
  const frozen = (w: PolicyWorld) => tenant(w).freeze('alice', '2026-12-02T00:00:00Z');
  it('Given a frozen actor, When they edit a tag, Then DENY at freeze', () => {
    given(frozen)
      .when(as('alice', 'tenant_admin'), 'customer_tags.edit', 'plain')
      .thenDeniedAt('freeze', ['freeze/alice']);
  });
  it('Given a frozen actor, When they view a tag, Then the freeze does not apply', () => {
    const d = given(frozen).when(as('alice'), 'customer_tags.view', 'plain').thenAllowed();
    expect(d.levels[0]).toMatchObject({ level: 'freeze', outcome: 'not_applicable' });
  });
  it('Given a freeze that has expired, When the actor writes, Then the freeze passes', () => {
    const d = given(frozen)
      .when(
        as('alice', 'tenant_admin'),
        'customer_tags.edit',
        'plain',
        undefined,
        Date.parse('2026-12-03T00:00:00Z'),
      )
      .thenAllowed();
    expect(d.levels[0]).toMatchObject({ level: 'freeze', outcome: 'allow' });
  });
  it('Given a freeze lifted by an unfreeze event, When the actor writes, Then allowed', () => {
    given((w) => frozen(w).freeze('alice', null, false))
      .when(as('alice', 'tenant_admin'), 'customer_tags.edit', 'plain')
      .thenAllowed();
  });
});

describe('check: level 1, department inheritance in the ordered tree', () => {
  it('Given a deny for a department on a tag group, When its employee views a tag in it, Then DENY by that rule', () => {
    given((w) =>
      tenant(w).rule({
        ruleId: 'r1',
        effect: 'deny',
        subject: { kind: 'department', id: 'east', includeSubDepartments: false },
        resource: { kind: 'tag_group', id: 'vip-group' },
      }),
    )
      .when(as('alice'), 'customer_tags.view', 'vip')
      .thenDeniedAt('department_inheritance', ['r1']);
  });
  it('Given an unstarred department rule, When an employee of a sub-department asks, Then it does not apply', () => {
    const w = given((w) =>
      tenant(w).rule({
        ruleId: 'r1',
        effect: 'deny',
        subject: { kind: 'department', id: 'sales', includeSubDepartments: false },
        resource: { kind: 'tag', id: 'vip' },
      }),
    );
    w.when(as('alice'), 'customer_tags.view', 'vip').thenAllowed();
    w.when(as('bob'), 'customer_tags.view', 'vip').thenDeniedAt('department_inheritance', ['r1']);
  });
  it('Given a starred department rule, When an employee of a sub-department asks, Then it applies', () => {
    given((w) =>
      tenant(w).rule({
        ruleId: 'r1',
        effect: 'deny',
        starred: true,
        subject: { kind: 'department', id: 'sales', includeSubDepartments: false },
        resource: { kind: 'tag', id: 'vip' },
      }),
    )
      .when(as('alice'), 'customer_tags.view', 'vip')
      .thenDeniedAt('department_inheritance', ['r1']);
  });
  it('Given a grant above a deny, When both apply, Then the first one wins; reordered, the deny wins', () => {
    const rules = (w: PolicyWorld) =>
      tenant(w)
        .rule({
          ruleId: 'grant',
          effect: 'grant',
          subject: { kind: 'employee', id: 'alice' },
          resource: { kind: 'tag', id: 'vip' },
        })
        .rule({
          ruleId: 'deny',
          effect: 'deny',
          subject: { kind: 'department', id: 'east', includeSubDepartments: false },
          resource: { kind: 'tag', id: 'vip' },
        });
    const d = given(rules).when(as('alice'), 'customer_tags.view', 'vip').thenAllowed();
    expect(d.levels[1]).toMatchObject({ outcome: 'allow', decidedBy: ['grant'] });
    given((w) => rules(w).order(['deny', 'grant']))
      .when(as('alice'), 'customer_tags.view', 'vip')
      .thenDeniedAt('department_inheritance', ['deny']);
  });
  it('Given a rule for other actions only, When the caller views, Then the rule does not apply', () => {
    const d = given((w) =>
      tenant(w).rule({
        ruleId: 'r1',
        effect: 'deny',
        actions: ['customer_tags.edit'],
        subject: { kind: 'employee', id: 'alice' },
        resource: { kind: 'tag', id: 'vip' },
      }),
    )
      .when(as('alice'), 'customer_tags.view', 'vip')
      .thenAllowed();
    expect(d.levels[1]).toMatchObject({ outcome: 'not_applicable', decidedBy: [] });
  });
  it('Given an unstarred tag group rule, When a tag two levels below is asked, Then it does not apply; starred, it does', () => {
    const base = (starred: boolean) => (w: PolicyWorld) =>
      tenant(w).rule({
        ruleId: 'r1',
        effect: 'deny',
        starred,
        subject: { kind: 'employee', id: 'alice' },
        resource: { kind: 'tag_group', id: 'customers' },
      });
    given(base(false)).when(as('alice'), 'customer_tags.view', 'vip').thenAllowed();
    given(base(false))
      .when(as('alice'), 'customer_tags.view', 'plain')
      .thenDeniedAt('department_inheritance');
    given(base(true))
      .when(as('alice'), 'customer_tags.view', 'vip')
      .thenDeniedAt('department_inheritance', ['r1']);
  });
});

describe('check: double overlay', () => {
  const overlay = (w: PolicyWorld) =>
    tenant(w)
      .group('g-vip', ['vip'])
      .group('g-customers', [], ['customers'])
      .rule({
        ruleId: 'grant-vip',
        effect: 'grant',
        subject: { kind: 'employee', id: 'alice' },
        resource: { kind: 'permission_group', id: 'g-vip' },
      })
      .rule({
        ruleId: 'deny-customers',
        effect: 'deny',
        subject: { kind: 'department', id: 'sales', includeSubDepartments: true },
        resource: { kind: 'permission_group', id: 'g-customers' },
      });
  it('Given a tag in two groups, one granting and one denying, When checked, Then DENY with both groups traced', () => {
    const d = given(overlay)
      .when(as('alice'), 'customer_tags.view', 'vip')
      .thenDeniedAt('department_inheritance', ['deny-customers']);
    expect(d.overlay).toEqual({
      outcome: 'deny',
      groups: [
        { groupId: 'g-customers', outcome: 'deny', ruleId: 'deny-customers' },
        { groupId: 'g-vip', outcome: 'allow', ruleId: 'grant-vip' },
      ],
    });
  });
  it('Given the same tag in two groups, When the deny is absent for the caller, Then the grant of the other group allows', () => {
    const d = given(overlay).when(as('guest'), 'customer_tags.view', 'vip').thenAllowed();
    expect(d.overlay?.outcome).toBe('not_applicable');
  });
  it('Given a grant on the tag itself above the group deny, When checked, Then each group sees the tag rule first', () => {
    const d = given((w) =>
      overlay(w)
        .rule({
          ruleId: 'grant-tag',
          effect: 'grant',
          subject: { kind: 'employee', id: 'alice' },
          resource: { kind: 'tag', id: 'vip' },
        })
        .moveToBottom('grant-vip', 'deny-customers'),
    )
      .when(as('alice'), 'customer_tags.view', 'vip')
      .thenAllowed();
    expect(d.overlay?.groups.map((g) => g.ruleId)).toEqual(['grant-tag', 'grant-tag']);
  });
});

describe('check: level 2, role scope', () => {
  const roles = (w: PolicyWorld) =>
    tenant(w)
      .role('viewer', ['customer_tags.view'])
      .role('editor', ['customer_tags.*'])
      .assign('a1', 'viewer', { kind: 'department', id: 'sales', includeSubDepartments: true })
      .assign('a2', 'editor', { kind: 'employee', id: 'bob' }, '2026-12-01T13:00:00Z');
  it('Given roles, When a caller without a matching scope asks, Then DENY at role scope', () => {
    given(roles).when(as('guest'), 'customer_tags.view', 'plain').thenDeniedAt('role_scope');
  });
  it('Given a department assignment with sub-departments, When an employee below views, Then allowed by the role', () => {
    const d = given(roles).when(as('alice'), 'customer_tags.view', 'plain').thenAllowed();
    expect(d.levels[2]).toMatchObject({ level: 'role_scope', outcome: 'allow', decidedBy: ['viewer'] });
    given(roles).when(as('alice'), 'customer_tags.edit', 'plain').thenDeniedAt('role_scope');
  });
  it('Given a member tag, When a customer-tag viewer (or tenant_admin) asks customer_tags.view of it, Then DENY at role scope naming both kinds', () => {
    const withMemberTag = (w: PolicyWorld) => roles(w).tag('market-2', null, { kind: 'member' });
    const d = given(withMemberTag)
      .when(as('alice'), 'customer_tags.view', 'market-2')
      .thenDeniedAt('role_scope', []);
    expect(d.levels[d.levels.length - 1]!.reason).toBe(
      'customer_tags.view acts on customer tags; market-2 is a member tag',
    );
    given(withMemberTag)
      .when(as('alice', 'tenant_admin'), 'customer_fields.view', 'market-2')
      .thenDeniedAt('role_scope');
    // The action of its own kind is decided by the roles as always (no role grants member_tags.view).
    given(withMemberTag).when(as('alice'), 'member_tags.view', 'market-2').thenDeniedAt('role_scope', []);
    given(withMemberTag).when(as('alice', 'tenant_admin'), 'member_tags.view', 'market-2').thenAllowed();
  });
  it('Given an assignment without sub-departments, When an employee below asks, Then it does not hold', () => {
    given((w) =>
      tenant(w)
        .role('viewer', ['customer_tags.view'])
        .assign('a1', 'viewer', { kind: 'department', id: 'sales', includeSubDepartments: false }),
    )
      .when(as('alice'), 'customer_tags.view', 'plain')
      .thenDeniedAt('role_scope');
  });
  it('Given an assignment until 13:00, When asked at 12:00 then at 13:00, Then allowed then denied', () => {
    given(roles).when(as('bob'), 'customer_tags.edit', 'plain').thenAllowed();
    given(roles)
      .when(as('bob'), 'customer_tags.edit', 'plain', undefined, Date.parse('2026-12-01T13:00:00Z'))
      .thenDeniedAt('role_scope');
  });
  it('Given a role removed and later defined again, When its old holder asks, Then the old assignment is gone (D80)', () => {
    const again = (w: PolicyWorld) => roles(w).role('editor', [], true).role('editor', ['customer_tags.*']);
    expect(again(new PolicyWorld()).snapshot().policy.assignments.has('a2')).toBe(false);
    given(again).when(as('bob'), 'customer_tags.edit', 'plain').thenDeniedAt('role_scope');
  });
  it('Given roles, When tenant_admin asks, Then its token role counts as scope *', () => {
    given(roles).when(as('guest', 'tenant_admin'), 'policy.manage', 'plain').thenAllowed();
  });
  it('Given a tenant without roles, When a view or a write is asked, Then views pass and writes need tenant_admin', () => {
    given(tenant).when(as('guest'), 'customer_tags.view', 'plain').thenAllowed();
    given(tenant).when(as('guest'), 'customer_tags.edit', 'plain').thenDeniedAt('role_scope');
    given(tenant).when(as('guest', 'tenant_admin'), 'customer_tags.edit', 'plain').thenAllowed();
  });
});

describe('check: level 3, tag visibility', () => {
  const vis = (w: PolicyWorld) =>
    tenant(w)
      .tag('secret', 'customers', {
        visibility: restricted({ departments: [{ departmentId: 'sales', includeSubDepartments: true }] }),
      })
      .tagGroup('locked', null, { visibility: restricted({ memberIds: ['bob'] }) })
      .tag('inside', 'locked');
  it('Given a restricted tag, When a guest in an unrelated department reads it, Then DENY at visibility (the leak)', () => {
    given(vis)
      .when(as('guest'), 'customer_tags.view', 'secret')
      .thenDeniedAt('tag_visibility', ['visibility/secret']);
  });
  it('Given a restricted tag listing sales ± sub, When an employee of a sub-department reads it, Then allowed', () => {
    const d = given(vis).when(as('alice'), 'customer_tags.view', 'secret').thenAllowed();
    expect(d.levels[3]).toMatchObject({
      outcome: 'allow',
      decidedBy: ['visibility/secret/department/sales'],
    });
  });
  it('Given a restricted ancestor group, When a tag inside is read, Then the group must admit the caller', () => {
    given(vis)
      .when(as('alice'), 'customer_tags.view', 'inside')
      .thenDeniedAt('tag_visibility', ['visibility/locked']);
    given(vis).when(as('bob'), 'customer_tags.view', 'inside').thenAllowed();
  });
  it('Given a restricted tag listing a role, When a holder reads it, Then allowed; tenant_admin always passes', () => {
    const w = (x: PolicyWorld) =>
      vis(x)
        .role('auditor', ['customer_tags.view'])
        .assign('a', 'auditor', { kind: 'employee', id: 'guest' })
        .tag('audit', null, { visibility: restricted({ roles: ['auditor'] }) });
    given(w).when(as('guest'), 'customer_tags.view', 'audit').thenAllowed();
    given(w).when(as('alice'), 'customer_tags.view', 'audit').thenDeniedAt('role_scope');
    given(vis).when(as('guest', 'tenant_admin'), 'customer_tags.view', 'secret').thenAllowed();
  });
  it('Given a tag unknown to the copy, When checked, Then DENY (fail closed)', () => {
    given(vis).when(as('alice'), 'customer_tags.view', 'nope').thenDeniedAt('tag_visibility');
  });
});

describe('check: level 4, sensitive words', () => {
  const words = (w: PolicyWorld) =>
    tenant(w)
      .word('w-vip', 'vip', ['remark'])
      .word('w-phone', '手机号')
      .role('viewer', ['customer_tags.view'])
      .role('fields', ['customer_fields.view'])
      .assign('a1', 'viewer', { kind: 'department', id: 'hq', includeSubDepartments: true })
      .assign('a2', 'fields', { kind: 'employee', id: 'bob' });
  it('Given a word for remarks, When a full-width "ＶＩＰ" remark is read, Then the field is masked and the check allows', () => {
    const d = given(words)
      .when(as('alice'), 'customer_tags.view', 'plain', { remark: '大客户 ＶＩＰ', name: 'vip' })
      .thenAllowed();
    expect(d.maskedFields).toEqual(['remark']);
    expect(d.levels[4]).toMatchObject({ level: 'sensitive_words', outcome: 'masked', decidedBy: ['w-vip'] });
  });
  it('Given a word for every field, When any field holds it, Then that field is masked', () => {
    const d = given(words)
      .when(as('alice'), 'customer_tags.view', 'plain', { name: '客户手机号', remark: 'ok' })
      .thenAllowed();
    expect(d.maskedFields).toEqual(['name']);
  });
  it('Given a caller whose role grants customer_fields.view, When a hit occurs, Then nothing is masked', () => {
    const d = given(words).when(as('bob'), 'customer_tags.view', 'plain', { remark: 'Vip' }).thenAllowed();
    expect(d.maskedFields).toEqual([]);
    expect(d.levels[4]).toMatchObject({ outcome: 'allow', decidedBy: ['w-vip', 'fields'] });
  });
  it('Given no hit, When fields are read, Then nothing is masked', () => {
    const d = given(words)
      .when(as('alice'), 'customer_tags.view', 'plain', { remark: 'v i p' })
      .thenAllowed();
    expect(d.maskedFields).toEqual([]);
  });
});

describe('check: the trace', () => {
  it('lists every level in order, with the snapshot position, and stops at the first deny', () => {
    const w = new PolicyWorld();
    tenant(w).role('viewer', ['customer_tags.view']).assign('a', 'viewer', { kind: 'employee', id: 'alice' });
    const snapshot = w.snapshot();
    const d = check(snapshot, {
      subject: as('alice'),
      action: 'customer_tags.view',
      tagId: 'plain',
      at: NOW,
    });
    expect(d.levels.map((l) => l.level)).toEqual([
      'freeze',
      'department_inheritance',
      'role_scope',
      'tag_visibility',
      'sensitive_words',
    ]);
    expect(d.snapshot).toBe(snapshot.policy.position);
    expect(d.snapshot).toBeGreaterThan(0n);
    for (const l of d.levels) expect(l.reason).not.toBe('');
    const denied = check(snapshot, {
      subject: as('guest'),
      action: 'customer_tags.view',
      tagId: 'plain',
      at: NOW,
    });
    expect(denied.levels.map((l) => l.level)).toEqual(['freeze', 'department_inheritance', 'role_scope']);
  });
});

describe('check: the per-tag plan cache follows the tag view', () => {
  it('Given a checked tag, When it moves under another group of the same copy, Then the next check uses its new ancestors', () => {
    const w = tenant(new PolicyWorld()).rule({
      ruleId: 'r1',
      effect: 'deny',
      starred: true,
      subject: { kind: 'employee', id: 'alice' },
      resource: { kind: 'tag_group', id: 'vip-group' },
    });
    const snapshot = w.snapshot();
    const ask = () =>
      check(snapshot, { subject: as('alice'), action: 'customer_tags.view', tagId: 'plain', at: NOW });
    expect(ask().allowed).toBe(true);
    w.tag('plain', 'vip-group');
    expect(ask().levels[1]).toMatchObject({ outcome: 'deny', decidedBy: ['r1'] });
  });
});

describe('check: what it keeps stays bounded by the policy, not by the requests', () => {
  /** Employee e in department d, tag t in group g, a role viewer that covers customer_tags.view. */
  const viewerWorld = () =>
    new PolicyWorld()
      .department('d')
      .employee('e', 'd')
      .tagGroup('g')
      .tag('t', 'g')
      .role('viewer', ['customer_tags.view']);

  it('Given roles, When many callers each hold a different undefined role, Then their deny traces are not all kept, while a defined role’s is shared', () => {
    const world = viewerWorld().role('writer', ['member_tags.edit']);
    const snapshot = world.snapshot();
    const ask = (...tokenRoles: string[]) =>
      check(snapshot, { subject: as('e', ...tokenRoles), action: 'customer_tags.view', tagId: 't', at: NOW });
    // Claimed roles are any strings a Check request names (permission-service's subject.roles).
    for (let i = 0; i < 1000; i++) expect(ask(`claimed-${i}`).allowed).toBe(false);
    const once = ask('claimed-late').levels[2]!;
    const again = ask('claimed-late').levels[2]!;
    expect(again).toStrictEqual(once);
    expect(again).not.toBe(once); // not kept: built for this check
    const holder = world.assign('a1', 'writer', { kind: 'employee', id: 'e' }).snapshot();
    const held = () =>
      check(holder, { subject: as('e'), action: 'customer_tags.view', tagId: 't', at: NOW }).levels[2]!;
    expect(held().reason).toBe('no role held covers customer_tags.view (held: writer)');
    expect(held()).toBe(held()); // a role of the tenant's: kept and shared
  });

  it('Given a tag, When checks name 1,000 unknown tag ids, Then no plan is kept for them, while the known tag’s is', () => {
    const world = viewerWorld().assign('a1', 'viewer', { kind: 'employee', id: 'e' });
    const snapshot = world.snapshot();
    const ask = (tagId: string) =>
      check(snapshot, { subject: as('e'), action: 'customer_tags.view', tagId, at: NOW });
    expect(ask('t').allowed).toBe(true);
    const plans = compiledPolicy(snapshot).tagPlans;
    expect(plans.has('t')).toBe(true);
    // Check's tag_id is any id a caller names (permission-service checks only its form).
    for (let i = 0; i < 1000; i++) ask(`unknown-${i}`);
    expect(plans.size).toBe(1);
    expect(ask('unknown-1')).toStrictEqual(ask('unknown-1'));
  });
});
