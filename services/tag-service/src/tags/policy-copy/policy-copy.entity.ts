import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * tag-service's copy of one permission-service policy object (role, assignment, group, rule, the rule
 * order, a sensitive word, a freeze): the last event folded for it, whole (events are fat). Fed by
 * permission-service's public events, never by its tables; not derived from tag-service's own events,
 * so a read-model rebuild leaves it alone.
 */
@Entity({ name: 'policy_objects' })
@Index('policy_objects_updated', ['updatedAt'])
export class PolicyObjectView {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  /** `<kind>/<id>` (the event key without the tenant), e.g. `rule/r1`, `rule-order/tree`. */
  @PrimaryColumn({ name: 'object_key', type: 'text' }) objectKey!: string;
  /** The object's stream revision in permission-service: an event at or below it is ignored. */
  @Column({ type: 'bigint' }) revision!: string;
  /**
   * permission-service's global position of that event (the snapshot a decision is made at): one decimal,
   * commit·2^64 + prepare (D57), so wider than a bigint.
   */
  @Column({ type: 'numeric', precision: 40, scale: 0 }) position!: string;
  @Column({ type: 'text' }) type!: string;
  /** The event's data; a removal stays as a tombstone, so an older upsert arriving late cannot revive it. */
  @Column({ type: 'jsonb' }) data!: object;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
