import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'tag_view' })
export class TagView {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @PrimaryColumn({ name: 'tag_id', type: 'text' })
  tagId!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  kind!: string;

  /** Revision of the last event applied: a replayed or redelivered event at or below it changes nothing. */
  @Column({ type: 'bigint' })
  revision!: string;

  @Column({ type: 'boolean', default: false })
  deleted!: boolean;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
