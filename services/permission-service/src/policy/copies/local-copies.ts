import { quoteIdent } from '@tagguard/event-store';
import type {
  DirectoryView,
  EmployeeStatus,
  TagFacts,
  TagView,
  TagVisibility,
} from '@tagguard/permission-engine';
import type { DataSource } from 'typeorm';
import { DirectoryCopyRow, TagCopyRow } from './copy.entities';
import type { DirectoryChange, TagChange } from './copy-rows';

type Employee = { departmentIds: readonly string[]; status: EmployeeStatus };

/** One tenant's copies in memory: what the engine reads (DirectoryView, TagView) without a query. */
export class TenantCopy implements DirectoryView, TagView {
  readonly departments = new Map<string, string | null>();
  readonly employees = new Map<string, Employee>();
  readonly tags = new Map<string, TagFacts>();

  get mirrored(): boolean {
    return this.departments.size > 0 || this.employees.size > 0;
  }

  parentOf(departmentId: string): string | null | undefined {
    return this.departments.get(departmentId);
  }

  employee(employeeId: string): Employee | undefined {
    return this.employees.get(employeeId);
  }

  tag(tagId: string): TagFacts | undefined {
    return this.tags.get(tagId);
  }
}

/**
 * permission-service's local copies of the directory and the tags (tables `directory_copy`, `tag_copy`),
 * written by the two consumers and held in memory per tenant (loaded on first use, then kept in step by
 * every change this process applies). Never asks sync-service or tag-service.
 */
export class LocalCopies {
  private readonly tenants = new Map<string, Promise<TenantCopy>>();
  private readonly directoryTable: string;
  private readonly tagTable: string;

  constructor(
    private readonly db: DataSource,
    schema: string,
  ) {
    this.directoryTable = `${quoteIdent(schema)}.${quoteIdent(db.getMetadata(DirectoryCopyRow).tableName)}`;
    this.tagTable = `${quoteIdent(schema)}.${quoteIdent(db.getMetadata(TagCopyRow).tableName)}`;
  }

  /** Applies one directory change if it is newer than the copy's; false for a replay or a late event. */
  async applyDirectory(change: DirectoryChange): Promise<boolean> {
    const isDepartment = change.kind === 'department';
    const rows = (await this.db.query(
      `INSERT INTO ${this.directoryTable} AS t
         (tenant_id, kind, object_id, revision, removed, parent_id, department_ids, status)
       VALUES ($1, $2, $3, $4::bigint, $5, $6, $7::jsonb, $8)
       ON CONFLICT (tenant_id, kind, object_id) DO UPDATE SET
         revision = EXCLUDED.revision, removed = EXCLUDED.removed, parent_id = EXCLUDED.parent_id,
         department_ids = EXCLUDED.department_ids, status = EXCLUDED.status
       WHERE t.revision < EXCLUDED.revision
       RETURNING 1`,
      [
        change.tenantId,
        change.kind,
        change.id,
        change.revision,
        isDepartment ? change.removed : false,
        isDepartment ? change.parentId : null,
        isDepartment ? null : JSON.stringify(change.departmentIds),
        isDepartment ? null : change.status,
      ],
    )) as unknown[];
    if (rows.length === 0) return false;
    const memory = await this.loaded(change.tenantId);
    if (change.kind === 'department') {
      if (change.removed) memory?.departments.delete(change.id);
      else memory?.departments.set(change.id, change.parentId);
    } else memory?.employees.set(change.id, { departmentIds: change.departmentIds, status: change.status });
    return true;
  }

  /** Applies one tag change to the rows it names whose revision is older; false when none changed. */
  async applyTag(change: TagChange): Promise<boolean> {
    if (change.op === 'none') return false;
    let changed: { tag_id: string }[];
    if (change.op === 'create') {
      const f = change.facts;
      changed = (await this.db.query(
        `INSERT INTO ${this.tagTable} AS t
           (tenant_id, tag_id, revision, kind, is_group, parent_id, visibility, sensitive, deleted)
         VALUES ($1, $2, $3::bigint, $4, $5, $6, $7::jsonb, $8, false)
         ON CONFLICT (tenant_id, tag_id) DO UPDATE SET
           revision = EXCLUDED.revision, kind = EXCLUDED.kind, is_group = EXCLUDED.is_group,
           parent_id = EXCLUDED.parent_id, visibility = EXCLUDED.visibility, sensitive = EXCLUDED.sensitive,
           deleted = false
         WHERE t.revision < EXCLUDED.revision
         RETURNING tag_id`,
        [
          change.tenantId,
          f.tagId,
          change.revision,
          f.kind,
          f.isGroup,
          f.parentId,
          JSON.stringify(f.visibility),
          f.sensitive,
        ],
      )) as { tag_id: string }[];
    } else {
      const s = change.set;
      const sets = ['revision = $3::bigint'];
      const params: unknown[] = [change.tenantId, change.tagIds, change.revision];
      const put = (column: string, value: unknown, cast = ''): void => {
        params.push(value);
        sets.push(`${column} = $${params.length}${cast}`);
      };
      if ('parentId' in s) put('parent_id', s.parentId);
      if (s.visibility) put('visibility', JSON.stringify(s.visibility), '::jsonb');
      if (s.sensitive !== undefined) put('sensitive', s.sensitive);
      if (s.deleted !== undefined) put('deleted', s.deleted);
      // TypeORM answers an UPDATE with [rows, affected count].
      [changed] = (await this.db.query(
        `UPDATE ${this.tagTable} SET ${sets.join(', ')}
          WHERE tenant_id = $1 AND tag_id = ANY($2::text[]) AND revision < $3::bigint
          RETURNING tag_id`,
        params,
      )) as [{ tag_id: string }[], number];
    }
    if (changed.length === 0) return false;
    const memory = await this.loaded(change.tenantId);
    if (memory) for (const { tag_id } of changed) await this.reloadTag(memory, change.tenantId, tag_id);
    return true;
  }

  /** The tenant's copy in memory (loaded from the tables the first time it is asked for). */
  tenant(tenantId: string): Promise<TenantCopy> {
    let held = this.tenants.get(tenantId);
    if (!held) {
      held = this.load(tenantId);
      this.tenants.set(tenantId, held);
      held.catch(() => this.tenants.delete(tenantId));
    }
    return held;
  }

  /** Only a tenant already in memory is kept in step (others are read whole when first asked for). */
  private loaded(tenantId: string): Promise<TenantCopy | undefined> {
    return this.tenants.get(tenantId) ?? Promise.resolve(undefined);
  }

  private async load(tenantId: string): Promise<TenantCopy> {
    const copy = new TenantCopy();
    const directory = (await this.db.query(
      `SELECT kind, object_id, parent_id, department_ids, status FROM ${this.directoryTable}
        WHERE tenant_id = $1 AND NOT removed`,
      [tenantId],
    )) as {
      kind: string;
      object_id: string;
      parent_id: string | null;
      department_ids: string[] | null;
      status: EmployeeStatus | null;
    }[];
    for (const r of directory) {
      if (r.kind === 'department') copy.departments.set(r.object_id, r.parent_id);
      else
        copy.employees.set(r.object_id, {
          departmentIds: r.department_ids ?? [],
          status: r.status ?? 'active',
        });
    }
    const tags = (await this.db.query(`SELECT * FROM ${this.tagTable} WHERE tenant_id = $1 AND NOT deleted`, [
      tenantId,
    ])) as TagRow[];
    for (const r of tags) copy.tags.set(r.tag_id, factsOf(r));
    return copy;
  }

  private async reloadTag(memory: TenantCopy, tenantId: string, tagId: string): Promise<void> {
    const [row] = (await this.db.query(
      `SELECT * FROM ${this.tagTable} WHERE tenant_id = $1 AND tag_id = $2`,
      [tenantId, tagId],
    )) as TagRow[];
    if (!row || row.deleted) memory.tags.delete(tagId);
    else memory.tags.set(tagId, factsOf(row));
  }
}

type TagRow = {
  tag_id: string;
  kind: string;
  is_group: boolean;
  parent_id: string | null;
  visibility: unknown;
  sensitive: boolean;
  deleted: boolean;
};

const factsOf = (r: TagRow): TagFacts => ({
  tagId: r.tag_id,
  kind: r.kind as TagFacts['kind'],
  isGroup: r.is_group,
  parentId: r.parent_id,
  visibility: r.visibility as TagVisibility,
  sensitive: r.sensitive,
});
