import { KeyedTurns } from '@tagguard/concurrency';
import { quoteIdent } from '@tagguard/event-store';
import type {
  DirectoryView,
  EmployeeStatus,
  TagFacts,
  TagView,
  TagVisibility,
} from '@tagguard/permission-engine';
import type { DataSource } from 'typeorm';
import { COPY_SEQUENCE, DirectoryCopyRow, TagCopyRow } from './copy.entities';
import type { DirectoryChange, TagChange } from './copy-rows';

type Employee = { departmentIds: readonly string[]; status: EmployeeStatus };

/** One tenant's copies in memory: what the engine reads (DirectoryView, TagView) without a query. */
export class TenantCopy implements DirectoryView, TagView {
  readonly departments = new Map<string, string | null>();
  readonly employees = new Map<string, Employee>();
  readonly tags = new Map<string, TagFacts>();
  /** The highest COPY_SEQUENCE number read into this memory. */
  seq = 0n;
  /** Moves when an employee or a tag id comes or goes: the lookups keep their sorted ids until then. */
  employeeIdsVersion = 0;
  tagIdsVersion = 0;
  refreshedAt = 0;
  /** The sequence numbers applied within SEQ_OVERLAP of `seq`: a re-read of one of them is skipped. */
  readonly applied = new Set<string>();

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

/** How stale an instance's memory of another instance's consumer writes may get (it re-reads after). */
export const COPY_REFRESH_MS = 500;
const SEQ_OVERLAP = 256n;

type DirectoryRow = {
  kind: string;
  object_id: string;
  removed: boolean;
  parent_id: string | null;
  department_ids: string[] | null;
  status: EmployeeStatus | null;
  seq: string;
};
type TagRow = {
  tag_id: string;
  kind: string;
  is_group: boolean;
  parent_id: string | null;
  visibility: TagVisibility;
  sensitive: boolean;
  deleted: boolean;
  seq: string;
};

/**
 * permission-service's local copies of the directory and the tags (tables `directory_copy`, `tag_copy`),
 * written by the two consumers (whichever instance holds the partition) and held in memory per tenant by
 * every instance: loaded on first use, then refreshed with the rows written after what it holds (`seq`),
 * at once after this process's own writes and at most COPY_REFRESH_MS later for another instance's. Never
 * asks sync-service or tag-service.
 */
export class LocalCopies {
  private readonly tenants = new Map<string, Promise<TenantCopy>>();
  /** One refresh per tenant at a time; the next one waits its turn. */
  private readonly refreshing = new KeyedTurns();
  private readonly directoryTable: string;
  private readonly tagTable: string;
  private readonly sequence: string;

  constructor(
    private readonly db: DataSource,
    schema: string,
    private readonly refreshMs = COPY_REFRESH_MS,
  ) {
    this.directoryTable = `${quoteIdent(schema)}.${quoteIdent(db.getMetadata(DirectoryCopyRow).tableName)}`;
    this.tagTable = `${quoteIdent(schema)}.${quoteIdent(db.getMetadata(TagCopyRow).tableName)}`;
    this.sequence = `${quoteIdent(schema)}.${quoteIdent(COPY_SEQUENCE)}`;
  }

  /** Applies one directory change if it is newer than the copy's; false for a replay or a late event. */
  async applyDirectory(change: DirectoryChange): Promise<boolean> {
    const isDepartment = change.kind === 'department';
    const rows = (await this.db.query(
      `INSERT INTO ${this.directoryTable} AS t
         (tenant_id, kind, object_id, revision, removed, parent_id, department_ids, status, seq)
       VALUES ($1, $2, $3, $4::bigint, $5, $6, $7::jsonb, $8, nextval('${this.sequence}'))
       ON CONFLICT (tenant_id, kind, object_id) DO UPDATE SET
         revision = EXCLUDED.revision, removed = EXCLUDED.removed, parent_id = EXCLUDED.parent_id,
         department_ids = EXCLUDED.department_ids, status = EXCLUDED.status, seq = EXCLUDED.seq
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
    await this.refreshLoaded(change.tenantId);
    return true;
  }

  /** Applies one tag change to the rows it names whose revision is older; false when none changed. */
  async applyTag(change: TagChange): Promise<boolean> {
    if (change.op === 'none') return false;
    let changed: unknown[];
    if (change.op === 'create') {
      const f = change.facts;
      changed = (await this.db.query(
        `INSERT INTO ${this.tagTable} AS t
           (tenant_id, tag_id, revision, kind, is_group, parent_id, visibility, sensitive, deleted, seq)
         VALUES ($1, $2, $3::bigint, $4, $5, $6, $7::jsonb, $8, false, nextval('${this.sequence}'))
         ON CONFLICT (tenant_id, tag_id) DO UPDATE SET
           revision = EXCLUDED.revision, kind = EXCLUDED.kind, is_group = EXCLUDED.is_group,
           parent_id = EXCLUDED.parent_id, visibility = EXCLUDED.visibility, sensitive = EXCLUDED.sensitive,
           deleted = false, seq = EXCLUDED.seq
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
      )) as unknown[];
    } else {
      const s = change.set;
      const sets = ['revision = $3::bigint', `seq = nextval('${this.sequence}')`];
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
      )) as [unknown[], number];
    }
    if (changed.length === 0) return false;
    await this.refreshLoaded(change.tenantId);
    return true;
  }

  /**
   * The tenant's copy in memory (read whole the first time). A copy older than the refresh interval is
   * brought up to date in the background; the caller decides on what is there now (the latest local copy).
   */
  async tenant(tenantId: string): Promise<TenantCopy> {
    let held = this.tenants.get(tenantId);
    if (!held) {
      const copy = new TenantCopy();
      held = this.refresh(tenantId, copy).then(() => copy);
      this.tenants.set(tenantId, held);
      held.catch(() => this.tenants.delete(tenantId));
      return held;
    }
    const copy = await held;
    // One background refresh at a time: while one is reading, every call would otherwise queue another
    // behind it (1,000 checks/s queued hundreds of re-reads, and their garbage paused the process).
    if (Date.now() - copy.refreshedAt > this.refreshMs && !this.refreshing.busy(tenantId))
      void this.refresh(tenantId, copy).catch(() => undefined);
    return copy;
  }

  private async refreshLoaded(tenantId: string): Promise<void> {
    const held = this.tenants.get(tenantId);
    if (held) await this.refresh(tenantId, await held);
  }

  /** Reads the rows written after `copy.seq` into it; one refresh per tenant at a time (the next one waits). */
  private refresh(tenantId: string, copy: TenantCopy): Promise<void> {
    return this.refreshing.run(tenantId, () => this.readInto(tenantId, copy));
  }

  private async readInto(tenantId: string, copy: TenantCopy): Promise<void> {
    const startedAt = Date.now();
    // Sequence numbers are taken before commit: a write holding a lower number may commit after a higher
    // one was read. The consumers write one row per statement, a few at a time, so re-reading the last
    // SEQ_OVERLAP numbers catches such a late commit (re-applying a row is harmless: rows are whole states).
    const after = (copy.seq > SEQ_OVERLAP ? copy.seq - SEQ_OVERLAP : -1n).toString();
    const directory = (await this.db.query(
      `SELECT kind, object_id, removed, parent_id, department_ids, status, seq::text FROM ${this.directoryTable}
        WHERE tenant_id = $1 AND seq > $2::bigint ORDER BY seq`,
      [tenantId, after],
    )) as DirectoryRow[];
    const tags = (await this.db.query(
      `SELECT tag_id, kind, is_group, parent_id, visibility, sensitive, deleted, seq::text FROM ${this.tagTable}
        WHERE tenant_id = $1 AND seq > $2::bigint ORDER BY seq`,
      [tenantId, after],
    )) as TagRow[];
    let seq = copy.seq;
    // A row re-read from the overlap that is already applied is the same version (a write takes a new
    // number): replacing its object would only promote garbage into the old generation on every refresh.
    const known = (r: { seq: string }) => BigInt(r.seq) <= copy.seq && copy.applied.has(r.seq);
    for (const r of directory) {
      if (known(r)) continue;
      copy.applied.add(r.seq);
      if (r.kind === 'department') {
        if (r.removed) copy.departments.delete(r.object_id);
        else copy.departments.set(r.object_id, r.parent_id);
      } else {
        if (!copy.employees.has(r.object_id)) copy.employeeIdsVersion++;
        copy.employees.set(r.object_id, {
          departmentIds: r.department_ids ?? [],
          status: r.status ?? 'active',
        });
      }
      if (BigInt(r.seq) > seq) seq = BigInt(r.seq);
    }
    for (const r of tags) {
      if (known(r)) continue;
      copy.applied.add(r.seq);
      if (!r.deleted !== copy.tags.has(r.tag_id)) copy.tagIdsVersion++;
      if (r.deleted) copy.tags.delete(r.tag_id);
      else
        copy.tags.set(r.tag_id, {
          tagId: r.tag_id,
          kind: r.kind as TagFacts['kind'],
          isGroup: r.is_group,
          parentId: r.parent_id,
          visibility: r.visibility,
          sensitive: r.sensitive,
        });
      if (BigInt(r.seq) > seq) seq = BigInt(r.seq);
    }
    copy.seq = seq;
    for (const applied of copy.applied)
      if (BigInt(applied) <= seq - SEQ_OVERLAP) copy.applied.delete(applied);
    copy.refreshedAt = startedAt;
  }
}
