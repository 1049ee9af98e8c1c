import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** The sequence every copy write takes a number from (`seq`): what an instance's memory has read up to. */
export const COPY_SEQUENCE = 'copy_seq';

/**
 * mute-service's copy of the directory (sync-service's public events, never its tables): departments (the
 * tree), employees (their departments) and partner enterprises (by corp id).
 */
@Entity({ name: 'directory_copy' })
@Index(['tenantId', 'seq'])
export class DirectoryCopyRow {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  /** department / employee / partner. */
  @PrimaryColumn({ type: 'text' }) kind!: string;
  @PrimaryColumn({ name: 'object_id', type: 'text' }) objectId!: string;
  /** sync-service's stream revision: an event at or below it is ignored (a redelivery, a late one). */
  @Column({ type: 'bigint' }) revision!: string;
  /** Kept as a tombstone, so a late upsert cannot bring a removed object back. */
  @Column({ type: 'boolean' }) removed!: boolean;
  @Column({ name: 'parent_id', type: 'text', nullable: true }) parentId!: string | null;
  @Column({ name: 'department_ids', type: 'jsonb', nullable: true }) departmentIds!: string[] | null;
  @Column({ type: 'text', default: '' }) name!: string;
  @Column({ type: 'bigint', default: 0 }) seq!: string;
}

/** mute-service's copy of tag-service's tags and groups: the parent (a group covers its tags) and whether it is live. */
@Entity({ name: 'tag_copy' })
@Index(['tenantId', 'seq'])
export class TagCopyRow {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'tag_id', type: 'text' }) tagId!: string;
  /** tag-service's catalog revision (one stream per tenant) of the last catalog event applied to this tag. */
  @Column({ type: 'bigint' }) revision!: string;
  /** The revision of the tag's own members stream last applied: a members event at or below it is a replay. */
  @Column({ name: 'members_revision', type: 'bigint', default: -1 }) membersRevision!: string;
  @Column({ name: 'parent_id', type: 'text', nullable: true }) parentId!: string | null;
  @Column({ name: 'is_group', type: 'boolean', default: false }) isGroup!: boolean;
  /** In the recycle bin or purged: no rule sees it. */
  @Column({ type: 'boolean' }) deleted!: boolean;
  @Column({ type: 'bigint', default: 0 }) seq!: string;
}

/** A tag's member (employee, department, customer or partner enterprise); `present` false once removed. */
@Entity({ name: 'tag_member_copy' })
@Index(['tenantId', 'seq'])
export class TagMemberCopyRow {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ name: 'tag_id', type: 'text' }) tagId!: string;
  @PrimaryColumn({ name: 'member_kind', type: 'text' }) memberKind!: string;
  @PrimaryColumn({ name: 'member_id', type: 'text' }) memberId!: string;
  @Column({ type: 'boolean' }) present!: boolean;
  @Column({ type: 'bigint', default: 0 }) seq!: string;
}
