import type { ComponentHandle } from '@tagguard/telemetry';
import type { DataSource } from 'typeorm';
import { systemContext } from '../commands/system-context';
import type { TagCommands } from '../commands/tag-commands';
import { ApprovalView, TagNodeView } from '../projections/catalog-view/catalog-view.entities';
import { serviceLogger } from '../../service-logger';

/**
 * The recycle bin's durable timer. Due times live in the events (and the read model), never only in
 * memory: every tick asks the read model which tenants have binned nodes past their purge time or
 * approvals past their expiry, and lets each tenant's catalogue decide (the decider checks the time
 * itself, so a stale read model can only delay a purge, never cause an early one). A restart loses
 * nothing: the next tick finds the same rows.
 */
export class PurgeTimer {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private readonly logger = serviceLogger('PurgeTimer');

  constructor(
    private readonly commands: TagCommands,
    private readonly db: DataSource,
    private readonly intervalMs: number,
    private readonly clock: () => Date = () => new Date(),
    /** Health: a failing tick is `retrying` (the next tick is the retry) until one succeeds. */
    readonly component?: ComponentHandle,
  ) {}

  start(): void {
    let failures = 0;
    this.component?.set('running');
    this.timer = setInterval(() => {
      this.running ??= this.tick()
        .then(() => {
          if (failures > 0) this.component?.set('running');
          failures = 0;
        })
        .catch((error: unknown) => {
          if (this.component) this.component.retrying(error, ++failures, this.intervalMs);
          else this.logger.error(error);
        })
        .finally(() => (this.running = undefined));
    }, this.intervalMs);
  }

  async stop(): Promise<void> {
    const wasRunning = this.timer !== undefined;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    if (wasRunning) this.component?.set('stopped');
  }

  /** One pass; returns how many tenants were checked. */
  async tick(): Promise<number> {
    const now = this.clock();
    const binned = await this.db
      .getRepository(TagNodeView)
      .createQueryBuilder('t')
      .select('DISTINCT t.tenant_id', 'tenant')
      .where(`t.status = 'binned' AND t.purge_due_at <= :now`, { now })
      .getRawMany<{ tenant: string }>();
    const expired = await this.db
      .getRepository(ApprovalView)
      .createQueryBuilder('a')
      .select('DISTINCT a.tenant_id', 'tenant')
      .where(`a.status = 'pending' AND a.expires_at <= :now`, { now })
      .getRawMany<{ tenant: string }>();
    for (const { tenant } of binned)
      await this.commands.onCatalog(
        systemContext(tenant, 'recycle-bin'),
        null,
        (base) => ({ type: 'PurgeDueNodes', data: base }),
        () => '',
      );
    for (const { tenant } of expired)
      await this.commands.onCatalog(
        systemContext(tenant, 'approvals'),
        null,
        (base) => ({ type: 'ExpireApprovals', data: base }),
        () => '',
      );
    return binned.length + expired.length;
  }
}
