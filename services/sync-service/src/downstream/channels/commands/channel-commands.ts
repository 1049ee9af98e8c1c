import type { DirectoryWriter, WriteMeta, WriteOutcome } from '../../../directory/commands/directory-writer';
import type { DownstreamConnectors } from '../../queue/channel-applier';
import { channelStream } from '../channel-streams';
import { channel, type ChannelCommand, type ChannelState } from '../domain/channel.decider';

/** Channel configuration through sync-service's one write path (DirectoryWriter: load → decide → append). */
export class ChannelCommands {
  constructor(
    readonly writer: DirectoryWriter,
    private readonly all: DownstreamConnectors,
  ) {}

  /** The connectors offered to this tenant (a connector bound to one tenant's system to that tenant only). */
  connectorsFor(tenantId: string): string[] {
    return Object.entries(this.all)
      .filter(([, f]) => f.onlyTenant === undefined || f.onlyTenant === tenantId)
      .map(([name]) => name);
  }

  /** The connectors this process offers only to other tenants. */
  otherTenantsConnectors(tenantId: string): string[] {
    return Object.entries(this.all)
      .filter(([, f]) => f.onlyTenant !== undefined && f.onlyTenant !== tenantId)
      .map(([name]) => name);
  }

  private target(tenantId: string, channelId: string) {
    return { stream: channelStream(tenantId, channelId), decider: channel };
  }

  private idOf(command: ChannelCommand): string {
    return command.type === 'ConfigureChannel' ? command.data.channel.channelId : command.data.channelId;
  }

  async write(
    meta: WriteMeta,
    command: ChannelCommand,
    expectedRevision?: number,
  ): Promise<{ outcome: WriteOutcome; state: ChannelState }> {
    const target = this.target(meta.tenantId, this.idOf(command));
    const outcome = await this.writer.write(target, command, meta, { expectedRevision });
    return { outcome, state: await this.writer.state(target) };
  }

  state(tenantId: string, channelId: string): Promise<ChannelState> {
    return this.writer.state(this.target(tenantId, channelId));
  }
}
