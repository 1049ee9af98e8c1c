import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One policy object as its last fat event described it (kind: role / assignment / group / rule / word /
 * freeze, and `rule-order` for the tree's order), upserted by id; `revision` only rises (a replay is a
 * no-op). Removed objects are deleted. List* reads page it by (tenant, kind, id).
 */
@Entity({ name: 'policy_objects' })
@Index(['tenantId', 'kind', 'objectId'])
export class PolicyObjectView {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' }) tenantId!: string;
  @PrimaryColumn({ type: 'text' }) kind!: string;
  @PrimaryColumn({ name: 'object_id', type: 'text' }) objectId!: string;
  @Column({ type: 'bigint' }) revision!: string;
  /** The store position of the event (decimal, policy-events `position`). */
  @Column({ type: 'numeric' }) position!: string;
  @Column({ type: 'jsonb' }) data!: Record<string, unknown>;
}
