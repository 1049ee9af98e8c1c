import { KeyedTurns } from '@tagguard/concurrency';
import { quoteIdent } from '@tagguard/event-store';
import type { MuteDirectoryView, MuteTagView, TagMemberKind } from '@tagguard/mute-engine';
import type { DataSource } from 'typeorm';
import { COPY_SEQUENCE, DirectoryCopyRow, TagCopyRow, TagMemberCopyRow } from './copy.entities';
import type { DirectoryChange, TagChange } from './copy-rows';

const NONE: readonly string[] = [];

/** One tenant's copies in memory: what the engine reads (MuteTagView, and `directory`) without a query. */
export class TenantCopy implements MuteTagView {
  readonly departments = new Map<string, string | null>();
  readonly employees = new Map<string, { departmentIds: readonly string[] }>();
  readonly partners = new Map<string, string>();
  /** Live tags and groups: id → parent. */
  readonly tags = new Map<string, string | null>();
  /** `kind:id` → the tags that list the party as a member (live or not: tagsOf filters). */
  private readonly memberOf = new Map<string, Set<string>>();
  seq = 0n;
  refreshedAt = 0;

  readonly directory: MuteDirectoryView = {
    employee: (employeeId) => this.employees.get(employeeId),
    parentOf: (departmentId) => this.departments.get(departmentId),
  };

  parentOf(tagId: string): string | null | undefined {
    return this.tags.get(tagId);
  }

  tagsOf(kind: TagMemberKind, id: string): readonly string[] {
    const held = this.memberOf.get(`${kind}:${id}`);
    if (!held) return NONE;
    const live: string[] = [];
    for (const tagId of held) if (this.tags.has(tagId)) live.push(tagId);
    return live;
  }

  setMember(tagId: string, kind: string, id: string, present: boolean): void {
    const key = `${kind}:${id}`;
    let held = this.memberOf.get(key);
    if (present) {
      if (!held) this.memberOf.set(key, (held = new Set()));
      held.add(tagId);
    } else held?.delete(tagId);
  }
}

/** How stale an instance's memory of another instance's consumer writes may get (it re-reads after). */
export const COPY_REFRESH_MS = 500;
const SEQ_OVERLAP = 256n;

/**
 * mute-service's local copies of the directory, the tags and their members (tables directory_copy,
 * tag_copy, tag_member_copy), written by the two consumers and held in memory per tenant by every instance:
 * loaded on first use, refreshed with the rows written after what it holds (`seq`), at once after this
 * process's own writes and at most COPY_REFRESH_MS later for another instance's. Every write is guarded by
 * the source's revision (a replay or a late event changes nothing). Never asks sync-service or tag-service.
 */
export class LocalCopies {
  private readonly tenants = new Map<string, Promise<TenantCopy>>();
  /** One refresh per tenant at a time; the next one waits its turn. */
  private readonly refreshing = new KeyedTurns();
  private readonly directoryTable: string;
  private readonly tagTable: string;
  private readonly memberTable: string;
  private readonly sequence: string;

  constructor(
    private readonly db: DataSource,
    schema: string,
    private readonly refreshMs = COPY_REFRESH_MS,
  ) {
    const table = (entity: typeof DirectoryCopyRow | typeof TagCopyRow | typeof TagMemberCopyRow) =>
      `${quoteIdent(schema)}.${quoteIdent(db.getMetadata(entity).tableName)}`;
    this.directoryTable = table(DirectoryCopyRow);
    this.tagTable = table(TagCopyRow);
    this.memberTable = table(TagMemberCopyRow);
    this.sequence = `${quoteIdent(schema)}.${quoteIdent(COPY_SEQUENCE)}`;
  }

  /** Applies one directory change if it is newer than the copy's; false for a replay or a late event. */
  async applyDirectory(c: DirectoryChange): Promise<boolean> {
    const rows = (await this.db.query(
      `INSERT INTO ${this.directoryTable} AS t
         (tenant_id, kind, object_id, revision, removed, parent_id, department_ids, name, seq)
       VALUES ($1, $2, $3, $4::bigint, $5, $6, $7::jsonb, $8, nextval('${this.sequence}'))
       ON CONFLICT (tenant_id, kind, object_id) DO UPDATE SET
         revision = EXCLUDED.revision, removed = EXCLUDED.removed, parent_id = EXCLUDED.parent_id,
         department_ids = EXCLUDED.department_ids, name = EXCLUDED.name, seq = EXCLUDED.seq
       WHERE t.revision < EXCLUDED.revision
       RETURNING 1`,
      [
        c.tenantId,
        c.kind,
        c.id,
        c.revision,
        c.removed,
        c.parentId,
        c.departmentIds ? JSON.stringify(c.departmentIds) : null,
        c.name,
      ],
    )) as unknown[];
    if (rows.length === 0) return false;
    await this.refreshLoaded(c.tenantId);
    return true;
  }

  /** Applies one tag change; false when it changed nothing (a replay, a late event, nothing the copy keeps). */
  async applyTag(change: TagChange): Promise<boolean> {
    if (change.op === 'none') return false;
    const seq = `nextval('${this.sequence}')`;
    const changed = await this.db.transaction(async (tx) => {
      if (change.op === 'upsert') {
        const rows = (await tx.query(
          `INSERT INTO ${this.tagTable} AS t (tenant_id, tag_id, revision, parent_id, is_group, deleted, seq)
           VALUES ($1, $2, $3::bigint, $4, $5, false, ${seq})
           ON CONFLICT (tenant_id, tag_id) DO UPDATE SET revision = EXCLUDED.revision,
             parent_id = EXCLUDED.parent_id, is_group = EXCLUDED.is_group, deleted = false, seq = EXCLUDED.seq
           WHERE t.revision < EXCLUDED.revision RETURNING 1`,
          [change.tenantId, change.tagId, change.revision, change.parentId, change.isGroup],
        )) as unknown[];
        return rows.length > 0;
      }
      if (change.op === 'patch') {
        const sets = ['revision = $3::bigint', `seq = ${seq}`];
        const params: unknown[] = [change.tenantId, change.tagIds, change.revision];
        if ('parentId' in change.set) {
          params.push(change.set.parentId);
          sets.push(`parent_id = $${params.length}`);
        }
        if (change.set.deleted !== undefined) {
          params.push(change.set.deleted);
          sets.push(`deleted = $${params.length}`);
        }
        const [rows] = (await tx.query(
          `UPDATE ${this.tagTable} SET ${sets.join(', ')}
            WHERE tenant_id = $1 AND tag_id = ANY($2::text[]) AND revision < $3::bigint RETURNING 1`,
          params,
        )) as [unknown[], number];
        return rows.length > 0;
      }
      // Members: the tag's members stream revision guards them (a row is made if the tag is not known yet).
      const claimed = (await tx.query(
        `INSERT INTO ${this.tagTable} AS t (tenant_id, tag_id, revision, members_revision, parent_id, deleted, seq)
         VALUES ($1, $2, -1, $3::bigint, null, false, ${seq})
         ON CONFLICT (tenant_id, tag_id) DO UPDATE SET members_revision = EXCLUDED.members_revision
         WHERE t.members_revision < EXCLUDED.members_revision RETURNING 1`,
        [change.tenantId, change.tagId, change.revision],
      )) as unknown[];
      if (claimed.length === 0) return false;
      await tx.query(
        `INSERT INTO ${this.memberTable} AS m (tenant_id, tag_id, member_kind, member_id, present, seq)
         SELECT $1, $2, k, i, $5, ${seq} FROM unnest($3::text[], $4::text[]) AS x(k, i)
         ON CONFLICT (tenant_id, tag_id, member_kind, member_id) DO UPDATE SET present = EXCLUDED.present, seq = EXCLUDED.seq`,
        [
          change.tenantId,
          change.tagId,
          change.members.map((m) => m.kind),
          change.members.map((m) => m.id),
          change.present,
        ],
      );
      return true;
    });
    if (changed) await this.refreshLoaded(change.tenantId);
    return changed;
  }

  /** The tenant's copy in memory (read whole the first time; refreshed in the background when stale). */
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
    // One background refresh at a time (else every decision on a stale copy queues another read behind it).
    if (Date.now() - copy.refreshedAt > this.refreshMs && !this.refreshing.busy(tenantId))
      void this.refresh(tenantId, copy).catch(() => undefined);
    return copy;
  }

  private async refreshLoaded(tenantId: string): Promise<void> {
    const held = this.tenants.get(tenantId);
    if (held) await this.refresh(tenantId, await held);
  }

  private refresh(tenantId: string, copy: TenantCopy): Promise<void> {
    return this.refreshing.run(tenantId, () => this.readInto(tenantId, copy));
  }

  private async readInto(tenantId: string, copy: TenantCopy): Promise<void> {
    const startedAt = Date.now();
    // Sequence numbers are taken before commit: re-reading the last SEQ_OVERLAP numbers catches a write that
    // committed after a higher number was read (re-applying a row is harmless: rows are whole states).
    const after = (copy.seq > SEQ_OVERLAP ? copy.seq - SEQ_OVERLAP : -1n).toString();
    const q = <T>(sql: string) => this.db.query(sql, [tenantId, after]) as Promise<T[]>;
    const directory = await q<{
      kind: string;
      object_id: string;
      removed: boolean;
      parent_id: string | null;
      department_ids: string[] | null;
      name: string;
      seq: string;
    }>(
      `SELECT kind, object_id, removed, parent_id, department_ids, name, seq::text FROM ${this.directoryTable}
        WHERE tenant_id = $1 AND seq > $2::bigint ORDER BY seq`,
    );
    const tags = await q<{ tag_id: string; parent_id: string | null; deleted: boolean; seq: string }>(
      `SELECT tag_id, parent_id, deleted, seq::text FROM ${this.tagTable}
        WHERE tenant_id = $1 AND seq > $2::bigint ORDER BY seq`,
    );
    const members = await q<{
      tag_id: string;
      member_kind: string;
      member_id: string;
      present: boolean;
      seq: string;
    }>(
      `SELECT tag_id, member_kind, member_id, present, seq::text FROM ${this.memberTable}
        WHERE tenant_id = $1 AND seq > $2::bigint ORDER BY seq`,
    );
    let seq = copy.seq;
    const saw = (s: string) => {
      if (BigInt(s) > seq) seq = BigInt(s);
    };
    for (const r of directory) {
      const map =
        r.kind === 'department' ? copy.departments : r.kind === 'employee' ? copy.employees : copy.partners;
      if (r.removed) map.delete(r.object_id);
      else if (r.kind === 'department') copy.departments.set(r.object_id, r.parent_id);
      else if (r.kind === 'employee')
        copy.employees.set(r.object_id, { departmentIds: r.department_ids ?? [] });
      else copy.partners.set(r.object_id, r.name);
      saw(r.seq);
    }
    for (const r of tags) {
      if (r.deleted) copy.tags.delete(r.tag_id);
      else copy.tags.set(r.tag_id, r.parent_id);
      saw(r.seq);
    }
    for (const r of members) {
      copy.setMember(r.tag_id, r.member_kind, r.member_id, r.present);
      saw(r.seq);
    }
    copy.seq = seq;
    copy.refreshedAt = startedAt;
  }
}
