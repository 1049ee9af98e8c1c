import { streamName } from '@tagguard/event-store';
import type { CommandContext, Fold } from '../commands/event-writer';
import type { TagCommands } from '../commands/tag-commands';
import {
  decideDirectoryPolicy,
  evolveDirectoryPolicy,
  initialDirectoryPolicy,
  type DepartedMembers,
  type DirectoryPolicyEvent,
  type DirectoryPolicyState,
} from './domain/directory-policy.decider';

export const DIRECTORY_POLICY_CATEGORY = 'tagDirectoryPolicy';
export const directoryPolicyStream = (tenantId: string): string =>
  streamName(DIRECTORY_POLICY_CATEGORY, tenantId);

const FOLD: Fold<DirectoryPolicyState, DirectoryPolicyEvent> = {
  initial: initialDirectoryPolicy,
  evolve: evolveDirectoryPolicy,
};

/** The tenant's directory policy through tag-service's one write path (idempotency key, expected revision). */
export class DirectoryPolicies {
  constructor(private readonly commands: TagCommands) {}

  async get(tenantId: string): Promise<DirectoryPolicyState> {
    return (await this.commands.loadStream(directoryPolicyStream(tenantId), FOLD)).state;
  }

  async set(
    context: CommandContext,
    request: unknown,
    departedMembers: DepartedMembers,
    expectedRevision?: number,
  ): Promise<{ policy: DirectoryPolicyState; consistencyToken: string }> {
    const tenantId = context.principal.tenantId;
    const { consistencyToken } = await this.commands.onStream(
      context,
      request,
      directoryPolicyStream(tenantId),
      FOLD,
      (state) =>
        decideDirectoryPolicy(
          {
            type: 'SetDirectoryPolicy',
            data: {
              departedMembers,
              actorId: context.principal.actorId,
              ...(expectedRevision !== undefined ? { expectedRevision } : {}),
            },
          },
          state,
        ),
    );
    return { policy: await this.get(tenantId), consistencyToken };
  }
}
