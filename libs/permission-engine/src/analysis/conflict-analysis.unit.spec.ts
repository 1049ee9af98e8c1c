import { analyzeConflicts } from './anomalies';
import { explainAccess } from './explain';
import { treeDot, treeJson } from './export';
import { orderAfterMoves, previewMoves, ReorderError } from './reorder';
import { renderSvg } from './svg';
import { riskDirectorInput } from './testing/risk-director';
import { buildInput, rule } from './testing/snapshot-builder';
import { buildUniverse } from './universe';

const VIEW = 'customer_tags.view';

describe('the five-level customer tree and the new risk director (the article)', () => {
  const input = riskDirectorInput();
  const u = buildUniverse(input);

  it('given his personal deny below two starred department grants, when the tree is analysed, then exactly those two rules shadow it', () => {
    const report = analyzeConflicts(u);
    const aboutDeny = report.anomalies.filter((a) => a.rules.includes('director-no-vip-east'));
    expect(aboutDeny.map((a) => [a.kind, a.rules[0]]).sort()).toEqual([
      ['shadowing', 'hq-sees-customers'],
      ['shadowing', 'risk-east-region'],
    ]);
    for (const a of aboutDeny) {
      expect(a.relation).toBe('subset');
      expect(a.example.employeeId).toBe('director');
      expect(['vip-east', 'c-east-vip-1', 'c-east-vip-2']).toContain(a.example.lane.tagId);
    }
  });

  it('given the rest of the tree, then the other classes are found where they are', () => {
    const report = analyzeConflicts(u);
    const others = report.anomalies.filter((a) => !a.rules.includes('director-no-vip-east'));
    expect(
      others.map((a) => `${a.kind} ${a.rules.join(' > ')}${a.redundant ? ` (${a.redundant})` : ''}`).sort(),
    ).toEqual([
      'generalization interns-no-customers > hq-sees-customers',
      'redundancy hq-sees-customers > analyst-east-1 (analyst-east-1)',
      'redundancy risk-east-region > analyst-east-1 (analyst-east-1)',
    ]);
  });

  it('when asked why he can see an east VIP customer, then the path shows the starred grant deciding over his deny', () => {
    const why = explainAccess(input.snapshot, {
      employeeId: 'director',
      tagId: 'c-east-vip-1',
      action: VIEW,
      at: input.at,
    });
    expect(why.outcome).toBe('grant');
    expect(why.lanes).toHaveLength(1);
    expect(why.lanes[0]!.path.map((s) => [s.position, s.ruleId, s.role])).toEqual([
      [1, 'hq-sees-customers', 'decided'],
      [2, 'risk-east-region', 'agrees'],
      [4, 'director-no-vip-east', 'overridden'],
    ]);
  });

  it('when both starred rules are previewed at the bottom, then it is less permissive for exactly the customers he should not see', () => {
    const last = u.rules.length - 1;
    const preview = previewMoves(u, [
      { ruleId: 'hq-sees-customers', toPosition: last },
      { ruleId: 'risk-east-region', toPosition: last },
    ]);
    expect(preview.verdict).toBe('less_permissive');
    expect(preview.order.slice(-2)).toEqual(['hq-sees-customers', 'risk-east-region']);
    const changed = preview.changes.flatMap((c) =>
      c.employeeIds.flatMap((e) =>
        c.lanes.flatMap((l) => c.actions.map((a) => `${e} ${l.tagId} ${a} ${c.from.effect}→${c.to.effect}`)),
      ),
    );
    expect(changed.sort()).toEqual([
      `director c-east-vip-1 ${VIEW} grant→deny`,
      `director c-east-vip-2 ${VIEW} grant→deny`,
      `director vip-east ${VIEW} grant→deny`,
    ]);
    expect(preview.revoked).toBe(3);
    expect(preview.granted).toBe(0);
  });

  it('when the move is made, then his deny decides and nothing is shadowed any more', () => {
    const last = riskDirectorInput().snapshot.policy.order.length - 1;
    const order = orderAfterMoves(u, [
      { ruleId: 'hq-sees-customers', toPosition: last },
      { ruleId: 'risk-east-region', toPosition: last },
    ]);
    const moved = riskDirectorInput();
    const snapshot = { ...moved.snapshot, policy: { ...moved.snapshot.policy, order } };
    const why = explainAccess(snapshot, {
      employeeId: 'director',
      tagId: 'c-east-vip-1',
      action: VIEW,
      at: moved.at,
    });
    expect(why.outcome).toBe('deny');
    const report = analyzeConflicts(buildUniverse({ ...moved, snapshot }));
    expect(report.anomalies.filter((a) => a.kind === 'shadowing')).toEqual([]);
    expect(
      report.anomalies.filter((a) => a.rules.includes('director-no-vip-east')).map((a) => a.kind),
    ).toEqual(['generalization', 'generalization']);
  });

  it('when the tree is exported, then JSON and DOT mark the shadowed rule, and the DOT renders to SVG', async () => {
    const tree = treeJson(u.rules, analyzeConflicts(u));
    const deny = tree.rules.find((r) => r.ruleId === 'director-no-vip-east')!;
    expect(deny.marks).toEqual(['shadowed']);
    expect(tree.rules.find((r) => r.ruleId === 'hq-sees-customers')!.marks).toContain('shadows');
    expect(tree.rules.find((r) => r.ruleId === 'west-edits-west')!.marks).toEqual([]);
    const dot = treeDot(tree);
    expect(dot).toContain('"hq-sees-customers" -> "director-no-vip-east" [color="#c62828"');
    const svg = await renderSvg(dot);
    expect(svg).toMatch(
      /^<\?xml[\s\S]*<svg[\s\S]*<title>director&#45;no&#45;vip&#45;east<\/title>[\s\S]*<\/svg>\s*$/,
    );
  });
});

describe('reorder preview', () => {
  const input = riskDirectorInput();
  const u = buildUniverse(input);

  it('given the deny raised to the top, then it is less permissive in the same pairs', () => {
    const preview = previewMoves(u, [{ ruleId: 'director-no-vip-east', toPosition: 0 }]);
    expect(preview.verdict).toBe('less_permissive');
    expect(preview.revoked).toBe(3);
  });

  it('given the interns deny moved below the HQ grant, then it is more permissive for the intern on every customer tag', () => {
    const preview = previewMoves(u, [{ ruleId: 'interns-no-customers', toPosition: 1 }]);
    expect(preview.verdict).toBe('more_permissive');
    expect(preview.granted).toBe(12);
    expect(new Set(preview.changes.flatMap((c) => c.employeeIds))).toEqual(new Set(['intern']));
  });

  it('given a rule moved past rules it does not overlap, then it is equivalent', () => {
    expect(previewMoves(u, [{ ruleId: 'west-edits-west', toPosition: 0 }]).verdict).toBe('equivalent');
  });

  it('given two swaps in opposite directions, then it is incomparable', () => {
    const preview = previewMoves(u, [
      { ruleId: 'interns-no-customers', toPosition: 1 },
      { ruleId: 'director-no-vip-east', toPosition: 0 },
    ]);
    expect(preview.verdict).toBe('incomparable');
    expect([preview.granted, preview.revoked]).toEqual([12, 3]);
  });

  it('given an unknown rule or a negative position, then the field is named', () => {
    expect(() => previewMoves(u, [{ ruleId: 'nope', toPosition: 0 }])).toThrow(
      expect.objectContaining({ field: 'moves[0].ruleId', code: 'ANALYSIS.UNKNOWN_RULE' }),
    );
    expect(() =>
      previewMoves(u, [
        { ruleId: 'analyst-east-1', toPosition: 0 },
        { ruleId: 'analyst-east-1', toPosition: -1 },
      ]),
    ).toThrow(
      expect.objectContaining({ field: 'moves[1].position', code: 'ANALYSIS.POSITION_OUT_OF_RANGE' }),
    );
    expect(() => previewMoves(u, [{ ruleId: 'x', toPosition: 0 }])).toThrow(ReorderError);
  });

  it('given a position past the end, then the rule goes to the bottom (as MoveRule)', () => {
    const preview = previewMoves(u, [{ ruleId: 'interns-no-customers', toPosition: 99 }]);
    expect(preview.order.at(-1)).toBe('interns-no-customers');
    expect(preview.verdict).toBe('more_permissive');
  });
});

describe('double overlay', () => {
  it('given a tag in two permission groups, then each group is its own lane and the deny in one decides', () => {
    const input = buildInput({
      departments: { hq: null },
      employees: { a: ['hq'] },
      tags: { g: null, t: 'g' },
      groups: [
        { groupId: 'pg1', name: 'one', tagIds: ['t'], tagGroupIds: [], removed: false },
        { groupId: 'pg2', name: 'two', tagIds: [], tagGroupIds: ['g'], removed: false },
      ],
      rules: [
        rule(
          'grant-pg1',
          'grant',
          { kind: 'department', id: 'hq', includeSubDepartments: false },
          { kind: 'permission_group', id: 'pg1' },
        ),
        rule('deny-pg2', 'deny', { kind: 'employee', id: 'a' }, { kind: 'permission_group', id: 'pg2' }),
      ],
    });
    const why = explainAccess(input.snapshot, { employeeId: 'a', tagId: 't', action: VIEW, at: input.at });
    expect(why.lanes.map((l) => [l.lane.groupId, l.outcome])).toEqual([
      ['pg1', 'grant'],
      ['pg2', 'deny'],
    ]);
    expect(why.outcome).toBe('deny');
    // Different lanes never compete, so the two rules are not an anomaly and their order changes nothing.
    const u = buildUniverse(input);
    expect(analyzeConflicts(u).anomalies).toEqual([]);
    expect(previewMoves(u, [{ ruleId: 'deny-pg2', toPosition: 0 }]).verdict).toBe('equivalent');
  });
});

describe('redundancy', () => {
  const other = (effect: 'grant' | 'deny') =>
    rule(
      `ops-${effect}-t`,
      effect,
      { kind: 'department', id: 'ops', includeSubDepartments: false },
      { kind: 'tag', id: 't' },
    );
  const spec = (
    between: boolean,
    around: ReturnType<typeof other>[] = [],
    inside: ReturnType<typeof other>[] = [],
  ) =>
    buildInput({
      departments: { hq: null, ops: 'hq' },
      employees: { a: ['ops'], b: ['ops'] },
      tags: { g: null, t: 'g', u: 'g' },
      rules: [
        rule('a-t', 'grant', { kind: 'employee', id: 'a' }, { kind: 'tag', id: 't' }),
        ...(between ? [other('deny')] : inside),
        rule(
          'hq-g',
          'grant',
          { kind: 'department', id: 'hq', includeSubDepartments: true },
          { kind: 'tag_group', id: 'g' },
          { starred: true },
        ),
        ...around,
      ],
    });

  it('given a grant below that contains an earlier grant, then the earlier one is redundant', () => {
    const report = analyzeConflicts(buildUniverse(spec(false)));
    expect(report.anomalies.map((a) => [a.kind, a.redundant])).toEqual([['redundancy', 'a-t']]);
  });

  it('given a deny below both, or a grant between them, then the earlier grant is still redundant', () => {
    for (const input of [spec(false, [other('deny')]), spec(false, [], [other('grant')])]) {
      const report = analyzeConflicts(buildUniverse(input));
      expect(
        report.anomalies.filter((a) => a.rules[0] === 'a-t' && a.rules[1] === 'hq-g').map((a) => a.redundant),
      ).toEqual(['a-t']);
    }
  });

  it('given a deny between them that overlaps the earlier grant, then the earlier grant is needed, not redundant', () => {
    const input = spec(true);
    const report = analyzeConflicts(buildUniverse(input));
    expect(report.anomalies.some((a) => a.kind === 'redundancy')).toBe(false);
    // Proof that it is needed: without it, a would lose t.
    expect(
      explainAccess(input.snapshot, { employeeId: 'a', tagId: 't', action: VIEW, at: input.at }).lanes[0]!
        .path[0]!.ruleId,
    ).toBe('a-t');
  });
});
