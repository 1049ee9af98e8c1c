import type { DirectoryWriter, WriteMeta, WriteOutcome } from '../../../directory/commands/directory-writer';
import { channelStream } from '../channel-streams';
import { channel, type ChannelCommand, type ChannelState } from '../domain/channel.decider';

/** Channel configuration through sync-service's one write path (DirectoryWriter: load → decide → append). */
export class ChannelCommands {
  constructor(
    readonly writer: DirectoryWriter,
    readonly connectors: readonly string[],
  ) {}

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
