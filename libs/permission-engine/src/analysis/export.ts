import type { PermissionRuleV1, PolicyResourceV1, PolicySubjectV1 } from '@tagguard/contracts';
import type { Anomaly, AnomalyKind, ConflictReport } from './anomalies';

export type TreeNodeJson = {
  position: number;
  ruleId: string;
  effect: PermissionRuleV1['effect'];
  subject: PolicySubjectV1;
  resource: PolicyResourceV1;
  actions: string[];
  starred: boolean;
  description: string;
  /** What the analysis found about this rule, e.g. `shadowed`, `shadows`, `redundant`, `empty`. */
  marks: string[];
  /** Indices into `anomalies`. */
  conflicts: number[];
};

export type TreeJson = {
  tenantId: string;
  position: string;
  rules: TreeNodeJson[];
  anomalies: (Anomaly & { id: number })[];
};

const MARKS: Record<AnomalyKind, [upper: string, lower: string]> = {
  shadowing: ['shadows', 'shadowed'],
  generalization: ['generalized', 'generalizes'],
  correlation: ['correlated', 'correlated'],
  redundancy: ['redundancy', 'redundancy'],
};

/** The permission tree, top first, with each rule's conflicts marked: the admin frontend's JSON. */
export function treeJson(rules: readonly PermissionRuleV1[], report: ConflictReport): TreeJson {
  const nodes: TreeNodeJson[] = rules.map((r, position) => ({
    position,
    ruleId: r.ruleId,
    effect: r.effect,
    subject: r.subject,
    resource: r.resource,
    actions: r.actions,
    starred: r.starred,
    description: r.description,
    marks: report.emptyRules.includes(r.ruleId) ? ['empty'] : [],
    conflicts: [],
  }));
  const byId = new Map(nodes.map((n) => [n.ruleId, n]));
  const mark = (node: TreeNodeJson, m: string) => {
    if (!node.marks.includes(m)) node.marks.push(m);
  };
  report.anomalies.forEach((a, id) => {
    const upper = byId.get(a.rules[0])!;
    const lower = byId.get(a.rules[1])!;
    upper.conflicts.push(id);
    lower.conflicts.push(id);
    if (a.kind === 'redundancy') mark(byId.get(a.redundant!)!, 'redundant');
    else {
      mark(upper, MARKS[a.kind][0]);
      mark(lower, MARKS[a.kind][1]);
    }
  });
  return {
    tenantId: report.tenantId,
    position: report.position.toString(),
    rules: nodes,
    anomalies: report.anomalies.map((a, id) => ({ ...a, id })),
  };
}

const quote = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

function subjectLabel(s: PolicySubjectV1, starred: boolean): string {
  if (s.kind === 'department') return `department ${s.id}${starred || s.includeSubDepartments ? ' ★' : ''}`;
  return `${s.kind} ${s.id}`;
}

const EDGE_STYLE: Record<AnomalyKind, string> = {
  shadowing: 'color="#c62828", penwidth=2',
  generalization: 'color="#ef6c00", style=dashed',
  correlation: 'color="#6a1b9a", style=dashed',
  redundancy: 'color="#757575", style=dotted',
};

/** Graphviz DOT: the rules top to bottom in tree order, conflicts as coloured edges from the upper rule. */
export function treeDot(tree: TreeJson): string {
  const lines = [
    `digraph ${quote(`permission-tree ${tree.tenantId}`)} {`,
    '  graph [rankdir=TB, labelloc=t, fontname="Helvetica", label=' +
      quote(`permission tree of ${tree.tenantId} at ${tree.position}`) +
      '];',
    '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
    '  edge [fontname="Helvetica", fontsize=9];',
  ];
  for (const r of tree.rules) {
    const label = [
      `${r.position + 1}. ${r.effect.toUpperCase()} ${r.ruleId}`,
      subjectLabel(r.subject, r.starred),
      `${r.resource.kind} ${r.resource.id}${r.starred && r.resource.kind === 'tag_group' ? ' ★' : ''}`,
      r.actions.length ? r.actions.join(', ') : 'every action',
      ...(r.marks.length ? [`⚠ ${r.marks.join(', ')}`] : []),
    ].join('\n');
    const fill = r.effect === 'grant' ? '#e8f5e9' : '#ffebee';
    const border = r.conflicts.length ? ', color="#c62828", penwidth=2' : '';
    lines.push(`  ${quote(r.ruleId)} [label=${quote(label)}, fillcolor=${quote(fill)}${border}];`);
  }
  for (let i = 1; i < tree.rules.length; i++)
    lines.push(
      `  ${quote(tree.rules[i - 1]!.ruleId)} -> ${quote(tree.rules[i]!.ruleId)} [color="#bdbdbd", arrowhead=none];`,
    );
  for (const a of tree.anomalies) {
    const label = `${a.kind}: ${a.example.employeeId} × ${a.example.lane.tagId}`;
    lines.push(
      `  ${quote(a.rules[0])} -> ${quote(a.rules[1])} [${EDGE_STYLE[a.kind]}, constraint=false, label=${quote(label)}];`,
    );
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}
