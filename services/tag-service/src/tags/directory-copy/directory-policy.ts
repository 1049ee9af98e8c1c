import { streamName } from '@tagguard/event-store';
import { DIRECTORY_POLICY_CATEGORY } from '../streams';
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

export { DIRECTORY_POLICY_CATEGORY };
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
    const stream = directoryPolicyStream(context.principal.tenantId);
    // The answer carries the policy as this call left it: a retry with the key gets exactly that.
    const { consistencyToken, ...policy } = await this.commands.write<DirectoryPolicyState>(
      context,
      request,
      async () => {
        const loaded = await this.commands.loadStream(stream, FOLD);
        const previous = this.commands.answered<DirectoryPolicyState>(loaded, context, request);
        if (previous) return { answered: previous };
        const events = decideDirectoryPolicy(
          {
            type: 'SetDirectoryPolicy',
            data: {
              departedMembers,
              actorId: context.principal.actorId,
              ...(expectedRevision !== undefined ? { expectedRevision } : {}),
            },
          },
          loaded.state,
        );
        return {
          result: events.reduce(evolveDirectoryPolicy, loaded.state),
          appends: events.length ? [{ stream, events, revision: loaded.revision, answer: true }] : [],
        };
      },
    );
    return { policy, consistencyToken };
  }
}
