import type { AssignmentCommand } from '../assignments/domain/assignment.decider';
import { assignment } from '../assignments/domain/assignment.decider';
import { PolicyError } from '../domain/policy.errors';
import type { FreezeCommand } from '../freezes/domain/freeze.decider';
import { freeze } from '../freezes/domain/freeze.decider';
import type { GroupCommand } from '../groups/domain/permission-group.decider';
import { permissionGroup } from '../groups/domain/permission-group.decider';
import type { RoleCommand } from '../roles/domain/role.decider';
import { role } from '../roles/domain/role.decider';
import { assignmentStream, freezeStream, groupStream, roleStream, treeStream, wordStream } from '../streams';
import type { RuleCommand, TreeState } from '../tree/domain/permission-tree.decider';
import { permissionTree } from '../tree/domain/permission-tree.decider';
import type { WordCommand } from '../words/domain/sensitive-word.decider';
import { sensitiveWord } from '../words/domain/sensitive-word.decider';
import type { PolicyWriter, WriteMeta, WriteOptions, WriteOutcome } from './policy-writer';

/** Which stream and decider answer a command: the only routing between the features and the write path. */
export class PolicyCommands {
  constructor(readonly writer: PolicyWriter) {}

  role(meta: WriteMeta, command: RoleCommand, options?: WriteOptions): Promise<WriteOutcome> {
    const target = { stream: roleStream(meta.tenantId, command.data.roleId || '?'), decider: role };
    return this.writer.write(target, command, meta, options);
  }

  /** An assignment names an existing role (one read of the role's stream; a later removal voids it). */
  async assignment(
    meta: WriteMeta,
    command: AssignmentCommand,
    options?: WriteOptions,
  ): Promise<WriteOutcome> {
    if (command.type === 'AssignRole' && command.data.roleId) {
      const held = await this.writer.state({
        stream: roleStream(meta.tenantId, command.data.roleId),
        decider: role,
      });
      if (!held.role)
        throw new PolicyError(
          'PERMISSION.FAILED_PRECONDITION',
          `role ${command.data.roleId} does not exist`,
          'roleId',
        );
    }
    const target = {
      stream: assignmentStream(meta.tenantId, command.data.assignmentId || '?'),
      decider: assignment,
    };
    return this.writer.write(target, command, meta, options);
  }

  group(meta: WriteMeta, command: GroupCommand, options?: WriteOptions): Promise<WriteOutcome> {
    const target = {
      stream: groupStream(meta.tenantId, command.data.groupId || '?'),
      decider: permissionGroup,
    };
    return this.writer.write(target, command, meta, options);
  }

  rule(meta: WriteMeta, command: RuleCommand, options?: WriteOptions): Promise<WriteOutcome> {
    return this.writer.write(
      { stream: treeStream(meta.tenantId), decider: permissionTree },
      command,
      meta,
      options,
    );
  }

  word(meta: WriteMeta, command: WordCommand, options?: WriteOptions): Promise<WriteOutcome> {
    const target = { stream: wordStream(meta.tenantId, command.data.wordId || '?'), decider: sensitiveWord };
    return this.writer.write(target, command, meta, options);
  }

  freeze(meta: WriteMeta, command: FreezeCommand, options?: WriteOptions): Promise<WriteOutcome> {
    const target = { stream: freezeStream(meta.tenantId, command.data.actorId || '?'), decider: freeze };
    return this.writer.write(target, command, meta, options);
  }

  tree(tenantId: string): Promise<TreeState> {
    return this.writer.state({ stream: treeStream(tenantId), decider: permissionTree });
  }
}
