import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** The sequence every copy write takes a number from (`seq`): what an instance's memory has read up to. */
export const COPY_SEQUENCE = 'copy_seq';

/**
 * permission-service's copy of the directory (sync-service's public events, never its tables): the
 * department tree and each employee's departments and status. Not derived from permission-service's own
 * events, so a read-model rebuild leaves it alone.
 */
@Entity({ name: 'directory_copy' })
@Index(['tenantId', 'seq'])
export class DirectoryCopyRow {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  /** department / employee. */
  @PrimaryColumn({ type: 'text' }) kind!: string;
  @PrimaryColumn({ name: 'object_id', type: 'text' }) objectId!: string;
  /** sync-service's stream revision: an event at or below it is ignored (a redelivery, a late one). */
  @Column({ type: 'bigint' }) revision!: string;
  /** Kept as a tombstone, so a late upsert cannot bring a removed department back. */
  @Column({ type: 'boolean' }) removed!: boolean;
  @Column({ name: 'parent_id', type: 'text', nullable: true }) parentId!: string | null;
  @Column({ name: 'department_ids', type: 'jsonb', nullable: true }) departmentIds!: string[] | null;
  @Column({ type: 'text', nullable: true }) status!: string | null;
  /** From COPY_SEQUENCE at each write: instances refresh their memory with the rows after what they hold. */
  @Column({ type: 'bigint', default: 0 }) seq!: string;
}

/** permission-service's copy of the tag catalogue (tag-service's public events): what the engine's TagView needs. */
@Entity({ name: 'tag_copy' })
@Index(['tenantId', 'seq'])
export class TagCopyRow {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'tag_id', type: 'text' }) tagId!: string;
  /** tag-service's catalog revision (one stream per tenant, so it orders every event of the tenant). */
  @Column({ type: 'bigint' }) revision!: string;
  @Column({ type: 'text' }) kind!: string;
  @Column({ name: 'is_group', type: 'boolean' }) isGroup!: boolean;
  @Column({ name: 'parent_id', type: 'text', nullable: true }) parentId!: string | null;
  @Column({ type: 'jsonb' }) visibility!: object;
  @Column({ type: 'boolean' }) sensitive!: boolean;
  /** In the recycle bin or purged: the engine does not see it. */
  @Column({ type: 'boolean' }) deleted!: boolean;
  @Column({ type: 'bigint', default: 0 }) seq!: string;
}
