import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * tag-service's copy of one directory object (fed by sync-service's directory events, never by its
 * tables). Not derived from tag-service's own events, so a read-model rebuild leaves it alone.
 */
@Entity({ name: 'directory_objects' })
export class DirectoryObjectView {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  /** department / employee / partner / partner_staff / customer (the event key's kind). */
  @PrimaryColumn({ type: 'text' }) kind!: string;
  @PrimaryColumn({ name: 'object_id', type: 'text' }) objectId!: string;
  /** The object's stream revision in sync-service: an event at or below it is ignored. */
  @Column({ type: 'bigint' }) revision!: string;
  /** Kept as a tombstone, so an older upsert arriving late cannot bring it back. */
  @Column({ type: 'boolean' }) removed!: boolean;
  @Column({ type: 'text', nullable: true }) status!: string | null;
  /** Only a status change is known at this revision; the upsert of the same revision still applies. */
  @Column({ type: 'boolean' }) partial!: boolean;
  @Column({ type: 'jsonb' }) data!: object;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
