import { quoteIdent } from '@tagguard/event-store';
import type { DataSource } from 'typeorm';
import type { MemberRef } from '../domain/tag-catalog.events';
import type { CopyRow } from './domain/directory-copy.rows';
import { directoryKey, type DirectoryFacts, type EmployeeStatus } from './domain/member-checks.decider';
import type { CallerDirectoryFacts } from '../policy-copy/domain/caller-directory-view';
import { DirectoryObjectView } from './directory-copy.entity';

/**
 * tag-service's local copy of the enterprise directory (table `directory_objects`): written by the
 * directory events consumer, read by the member checks and member reads. Never asks sync-service.
 */
export class DirectoryCopy {
  /** Tenants known to be mirrored (it never goes back): spares a query per check. */
  private readonly mirrored = new Set<string>();
  private readonly table: string;

  constructor(
    private readonly db: DataSource,
    schema: string,
  ) {
    this.table = `${quoteIdent(schema)}.${quoteIdent(db.getMetadata(DirectoryObjectView).tableName)}`;
  }

  /**
   * Holds the row if its revision is newer than the copy's (or the same revision completes a row only
   * a status change had written). Returns whether it changed anything: a replay, or an older event
   * arriving late, does not.
   */
  async apply(row: CopyRow, at: Date): Promise<boolean> {
    const changed = (await this.db.query(
      `INSERT INTO ${this.table} AS t
         (tenant_id, kind, object_id, revision, removed, status, partial, data, updated_at)
       VALUES ($1, $2, $3, $4::bigint, $5, $6, $7, $8::jsonb, $9)
       ON CONFLICT (tenant_id, kind, object_id) DO UPDATE SET
         revision = EXCLUDED.revision, removed = EXCLUDED.removed, status = EXCLUDED.status,
         partial = EXCLUDED.partial, updated_at = EXCLUDED.updated_at,
         data = CASE WHEN EXCLUDED.partial THEN t.data ELSE EXCLUDED.data END
       WHERE t.revision < EXCLUDED.revision
          OR (t.revision = EXCLUDED.revision AND t.partial AND NOT EXCLUDED.partial)
       RETURNING 1`,
      [
        row.tenantId,
        row.kind,
        row.objectId,
        row.revision,
        row.removed,
        row.status,
        row.partial,
        JSON.stringify(row.data),
        at,
      ],
    )) as unknown[];
    this.mirrored.add(row.tenantId);
    return changed.length > 0;
  }

  async isMirrored(tenantId: string): Promise<boolean> {
    if (this.mirrored.has(tenantId)) return true;
    const rows = (await this.db.query(`SELECT 1 FROM ${this.table} WHERE tenant_id = $1 LIMIT 1`, [
      tenantId,
    ])) as unknown[];
    if (rows.length > 0) this.mirrored.add(tenantId);
    return rows.length > 0;
  }

  /** What the copy holds about these members (one query; nothing when the tenant is not mirrored). */
  async facts(tenantId: string, members: MemberRef[]): Promise<DirectoryFacts> {
    const known: DirectoryFacts['known'] = new Map();
    if (!(await this.isMirrored(tenantId))) return { mirrored: false, known };
    if (members.length === 0) return { mirrored: true, known };
    const rows = (await this.db.query(
      `SELECT kind, object_id, removed, status FROM ${this.table}
        WHERE tenant_id = $1 AND (kind, object_id) IN (SELECT * FROM unnest($2::text[], $3::text[]))`,
      [tenantId, members.map((m) => m.kind), members.map((m) => m.id)],
    )) as { kind: string; object_id: string; removed: boolean; status: EmployeeStatus | null }[];
    for (const r of rows)
      known.set(directoryKey({ kind: r.kind as MemberRef['kind'], id: r.object_id }), {
        removed: r.removed,
        ...(r.status ? { status: r.status } : {}),
      });
    return { mirrored: true, known };
  }

  /** The employee's status in the copy (undefined: unknown or removed). */
  async employeeStatus(tenantId: string, employeeId: string): Promise<EmployeeStatus | undefined> {
    const [row] = (await this.db.query(
      `SELECT status FROM ${this.table}
        WHERE tenant_id = $1 AND kind = 'employee' AND object_id = $2 AND NOT removed`,
      [tenantId, employeeId],
    )) as { status: EmployeeStatus | null }[];
    return row?.status ?? undefined;
  }

  /**
   * What a permission check of this caller needs from the copy (two queries): the employee's departments
   * and status, and the parent of each of those departments and of every ancestor.
   */
  async callerFacts(tenantId: string, employeeId: string): Promise<CallerDirectoryFacts> {
    const parents = new Map<string, string | null>();
    if (!(await this.isMirrored(tenantId))) return { mirrored: false, employeeId, parents };
    const [row] = (await this.db.query(
      `SELECT status, data->'departmentIds' AS departments FROM ${this.table}
        WHERE tenant_id = $1 AND kind = 'employee' AND object_id = $2 AND NOT removed`,
      [tenantId, employeeId],
    )) as { status: EmployeeStatus | null; departments: unknown }[];
    if (!row) return { mirrored: true, employeeId, parents };
    const departmentIds = Array.isArray(row.departments)
      ? row.departments.filter((d): d is string => typeof d === 'string')
      : [];
    const chain = (await this.db.query(
      `WITH RECURSIVE chain(id, parent, depth) AS (
         SELECT object_id, data->>'parentId', 0 FROM ${this.table}
          WHERE tenant_id = $1 AND kind = 'department' AND NOT removed AND object_id = ANY($2::text[])
         UNION
         SELECT d.object_id, d.data->>'parentId', c.depth + 1 FROM ${this.table} d JOIN chain c ON d.object_id = c.parent
          WHERE d.tenant_id = $1 AND d.kind = 'department' AND NOT d.removed AND c.depth < 64
       ) SELECT DISTINCT id, parent FROM chain`,
      [tenantId, departmentIds],
    )) as { id: string; parent: string | null }[];
    for (const c of chain) parents.set(c.id, c.parent ?? null);
    return {
      mirrored: true,
      employeeId,
      employee: { departmentIds, status: row.status ?? 'active' },
      parents,
    };
  }
}
