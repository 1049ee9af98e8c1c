import { check, departmentChain, emptyPolicy } from '@tagguard/permission-engine';
import { VISIBLE_TO_EVERYONE } from '../../domain/tag-catalog.events';
import { evolveCatalog, initialCatalogState, type TagCatalogState } from '../../domain/tag-catalog.state';
import { callerDirectoryView } from './caller-directory-view';
import { catalogTagView } from './catalog-tag-view';

const created = (
  state: TagCatalogState,
  nodeId: string,
  parentId: string | null,
  nodeType: 'tag' | 'group' = 'tag',
) =>
  evolveCatalog(state, {
    type: 'NodeCreated',
    data: { nodeId, nodeType, kind: 'customer', name: nodeId, parentId, order: 0, description: '' },
  });

describe('the engine views over tag-service state', () => {
  it('TagView: given the catalogue, when asked for a tag, then it reads kind, parent, group, visibility and sensitive from the node itself', () => {
    let state = created(initialCatalogState(), 'g', null, 'group');
    state = created(state, 't', 'g');
    state = evolveCatalog(state, {
      type: 'VisibilityConfigured',
      data: {
        nodeId: 't',
        visibility: { ...VISIBLE_TO_EVERYONE, scope: 'restricted', roles: ['risk'], members: ['e1'] },
        sensitive: true,
      },
    });
    const view = catalogTagView(state);
    expect(view.tag('g')).toMatchObject({ isGroup: true, parentId: null, kind: 'customer' });
    expect(view.tag('t')).toEqual({
      tagId: 't',
      kind: 'customer',
      isGroup: false,
      parentId: 'g',
      visibility: { restricted: true, departments: [], roles: ['risk'], memberIds: ['e1'] },
      sensitive: true,
    });
    expect(view.tag('absent')).toBeUndefined();
    // A later state answers with the later facts (no stale cache across states).
    const renamed = evolveCatalog(state, {
      type: 'VisibilityConfigured',
      data: { nodeId: 't', visibility: VISIBLE_TO_EVERYONE, sensitive: false },
    });
    expect(catalogTagView(renamed).tag('t')?.visibility.restricted).toBe(false);
    expect(catalogTagView(state).tag('t')?.visibility.restricted).toBe(true);
  });

  it("DirectoryView: given the caller's facts, then the chain of its department is walked, other employees are unknown, and a tenant never mirrored says so", () => {
    const view = callerDirectoryView({
      mirrored: true,
      employeeId: 'e1',
      employee: { departmentIds: ['sales-east'], status: 'active' },
      parents: new Map([
        ['sales-east', 'sales'],
        ['sales', 'hq'],
        ['hq', null],
      ]),
    });
    expect(departmentChain(view, 'sales-east')).toEqual(['sales-east', 'sales', 'hq']);
    expect(view.employee('e1')).toEqual({ departmentIds: ['sales-east'], status: 'active' });
    expect(view.employee('e2')).toBeUndefined();
    expect(callerDirectoryView({ mirrored: false, employeeId: 'e1', parents: new Map() }).mirrored).toBe(
      false,
    );
  });

  it('together: a restricted tag listing a parent department with its sub-departments admits the employee of a sub-department, not of a sibling', () => {
    let state = created(initialCatalogState(), 't', null);
    state = evolveCatalog(state, {
      type: 'VisibilityConfigured',
      data: {
        nodeId: 't',
        visibility: {
          ...VISIBLE_TO_EVERYONE,
          scope: 'restricted',
          departments: [{ departmentId: 'sales', includeSubDepartments: true }],
        },
        sensitive: false,
      },
    });
    const parents = new Map<string, string | null>([
      ['sales-east', 'sales'],
      ['sales', 'hq'],
      ['ops', 'hq'],
      ['hq', null],
    ]);
    const sees = (department: string) =>
      check(
        {
          policy: emptyPolicy('t1'),
          tags: catalogTagView(state),
          directory: callerDirectoryView({
            mirrored: true,
            employeeId: 'e1',
            employee: { departmentIds: [department], status: 'active' },
            parents,
          }),
        },
        { subject: { employeeId: 'e1', tokenRoles: [] }, action: 'customer_tags.view', tagId: 't', at: 0 },
      ).allowed;
    expect(sees('sales-east')).toBe(true);
    expect(sees('ops')).toBe(false);
  });
});
