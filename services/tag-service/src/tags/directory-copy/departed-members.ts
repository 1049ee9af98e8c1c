import type { IntegrationMessage } from '@tagguard/messaging';
import type { DataSource } from 'typeorm';
import { systemContext } from '../commands/system-context';
import type { TagCommands } from '../commands/tag-commands';
import { TagMemberView } from '../projections/catalog-view/catalog-view.entities';
import type { DirectoryCopy } from './directory-copy';
import type { DirectoryPolicies } from './directory-policy';
import { serviceLogger } from '../../service-logger';

/**
 * An employee who is disabled or has left: their memberships are flagged in member reads (always), and
 * removed when the tenant's policy says so — through the one write path, source `directory`, audited
 * like every removal. Decided on the copy's current status, not the event's: a redelivery after a crash
 * completes the removal, and an old "disabled" replayed after a re-enable removes nothing.
 */
export class DepartedMembers {
  private readonly logger = serviceLogger('DepartedMembers');

  constructor(
    private readonly copy: DirectoryCopy,
    private readonly policies: DirectoryPolicies,
    private readonly commands: TagCommands,
    private readonly db: DataSource,
  ) {}

  async settle(tenantId: string, employeeId: string, message: IntegrationMessage): Promise<number> {
    const status = await this.copy.employeeStatus(tenantId, employeeId);
    if (status !== 'disabled' && status !== 'left') return 0;
    if ((await this.policies.get(tenantId)).departedMembers !== 'remove') return 0;
    // The read model's memberships; one added in the moment before the status arrived may be missed
    // here (it stays flagged in reads, docs/decisions.md D35).
    const memberships = await this.db
      .getRepository(TagMemberView)
      .findBy({ tenantId, memberKind: 'employee', memberId: employeeId });
    const context = systemContext(tenantId, 'directory', {
      causationId: message.eventId,
      correlationId: message.metadata.correlationId,
    });
    let removed = 0;
    for (const { tagId } of memberships) {
      const result = await this.commands.onMembers(context, {
        change: 'remove_members',
        tagId,
        members: [{ kind: 'employee', id: employeeId }],
        source: 'directory',
        idSeed: `directory:${message.eventId}:${tagId}`,
      });
      removed += result.results.filter((r) => r.outcome === 'ok').length;
    }
    if (removed > 0)
      this.logger.log(`removed ${status} employee ${employeeId} from ${removed} tag(s) of ${tenantId}`);
    return removed;
  }
}
