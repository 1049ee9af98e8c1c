import { buildInput, rule, type TenantSpec } from './snapshot-builder';

/**
 * The article's tree: a five-level nested customer-tag tree (customers → region → key accounts → VIP →
 * customer), a new risk director (risk-east, under risk, under HQ) whose personal deny on the east VIP
 * customers sits below two starred department grants (HQ ★ on every customer tag for viewing, risk ★ on
 * the east region for every action). Around them, ordinary rules a real tree has.
 */
export const RISK_DIRECTOR: TenantSpec = {
  departments: {
    hq: null,
    risk: 'hq',
    'risk-east': 'risk',
    sales: 'hq',
    'sales-west': 'sales',
    interns: 'hq',
  },
  employees: {
    director: ['risk-east'],
    'risk-analyst': ['risk-east'],
    'risk-head': ['risk'],
    'west-rep': ['sales-west'],
    'sales-rep': ['sales'],
    intern: ['interns'],
    auditor: ['hq'],
  },
  tags: {
    customers: null,
    'region-east': 'customers',
    'key-east': 'region-east',
    'vip-east': 'key-east',
    'c-east-vip-1': 'vip-east',
    'c-east-vip-2': 'vip-east',
    'c-east-key-1': 'key-east',
    'c-east-1': 'region-east',
    'region-west': 'customers',
    'key-west': 'region-west',
    'vip-west': 'key-west',
    'c-west-vip-1': 'vip-west',
  },
  rules: [
    rule(
      'interns-no-customers',
      'deny',
      { kind: 'department', id: 'interns', includeSubDepartments: true },
      { kind: 'tag_group', id: 'customers' },
      { starred: true, actions: ['customer_tags.view'] },
    ),
    rule(
      'hq-sees-customers',
      'grant',
      { kind: 'department', id: 'hq', includeSubDepartments: false },
      { kind: 'tag_group', id: 'customers' },
      { starred: true, actions: ['customer_tags.view'], description: 'HQ ★ sees every customer tag' },
    ),
    rule(
      'risk-east-region',
      'grant',
      { kind: 'department', id: 'risk', includeSubDepartments: false },
      { kind: 'tag_group', id: 'region-east' },
      { starred: true, description: 'risk ★ works the east region' },
    ),
    rule(
      'analyst-east-1',
      'grant',
      { kind: 'employee', id: 'risk-analyst' },
      { kind: 'tag', id: 'c-east-1' },
      { actions: ['customer_tags.view'] },
    ),
    rule(
      'director-no-vip-east',
      'deny',
      { kind: 'employee', id: 'director' },
      { kind: 'tag_group', id: 'vip-east' },
      {
        starred: true,
        actions: ['customer_tags.view'],
        description: "the new risk director's personal setting",
      },
    ),
    rule(
      'west-edits-west',
      'grant',
      { kind: 'department', id: 'sales-west', includeSubDepartments: true },
      { kind: 'tag_group', id: 'region-west' },
      { starred: true, actions: ['customer_tags.edit'] },
    ),
  ],
};

export const riskDirectorInput = () => buildInput(RISK_DIRECTOR);
