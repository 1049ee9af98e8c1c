import { comparePositions } from '@tagguard/event-store';
import type { AssignmentCommand } from '../assignments/domain/assignment.decider';
import { assignment } from '../assignments/domain/assignment.decider';
import { PolicyError } from '../domain/policy.errors';
import { encodePosition } from '../domain/position';
import { CONSISTENCY_WAIT_MS } from '../edge';
import type { PolicyMemory } from '../engine/policy-memory';
import type { FreezeCommand } from '../freezes/domain/freeze.decider';
import { freeze } from '../freezes/domain/freeze.decider';
import type { GroupCommand } from '../groups/domain/permission-group.decider';
import { permissionGroup } from '../groups/domain/permission-group.decider';
import type { RoleCommand, RoleState } from '../roles/domain/role.decider';
import { role } from '../roles/domain/role.decider';
import { assignmentStream, freezeStream, groupStream, roleStream, treeStream, wordStream } from '../streams';
import type { RuleCommand, TreeState } from '../tree/domain/permission-tree.decider';
import { permissionTree, rulesNamingRole } from '../tree/domain/permission-tree.decider';
import type { WordCommand } from '../words/domain/sensitive-word.decider';
import { sensitiveWord } from '../words/domain/sensitive-word.decider';
import type { PolicyWriter, WriteMeta, WriteOptions, WriteOutcome } from './policy-writer';

/**
 * The assignment ids of a role as the latest policy shows them (after this process's own writes): `held`,
 * those the fold holds, and `unended`, those it dropped (with a removal of the role, or made against
 * another definition of it) whose streams were never ended. `strict`: fail UNAVAILABLE if the fold does
 * not show this process's writes in time, instead of answering from an older fold.
 */
export type AssignmentsOfRole = (
  tenantId: string,
  roleId: string,
  strict?: boolean,
) => Promise<{ held: string[]; unended: string[] }>;

/** A role's assignments as the in-memory fold shows them, once it shows this process's own writes. */
export const assignmentsInMemory =
  (writer: PolicyWriter, memory: PolicyMemory): AssignmentsOfRole =>
  async (tenantId, roleId, strict = false) => {
    let late: unknown;
    await writer.settled(
      {
        waitFor: (p, ms) =>
          memory.folded.waitFor(encodePosition(p), ms).catch((e: unknown) => void (late = e)),
      },
      CONSISTENCY_WAIT_MS,
    );
    if (strict && late) throw late;
    const held = [...memory.policy(tenantId).assignments.values()];
    return {
      held: held.filter((a) => a.roleId === roleId).map((a) => a.assignmentId),
      unended: memory.unendedOf(tenantId, roleId),
    };
  };

const roleGone = (roleId: string, why: string) =>
  new PolicyError('PERMISSION.FAILED_PRECONDITION', `role ${roleId} ${why}`, 'roleId');

const later = (a: WriteOutcome, b: WriteOutcome): WriteOutcome =>
  !a.position || (b.position && comparePositions(b.position, a.position) > 0)
    ? { ...a, position: b.position! }
    : a;

/** Which stream and decider answer a command: the only routing between the features and the write path. */
export class PolicyCommands {
  constructor(
    readonly writer: PolicyWriter,
    private readonly assignmentsOf: AssignmentsOfRole = async () => ({ held: [], unended: [] }),
  ) {}

  /**
   * RemoveRole (D80): refused while rules name the role, unless `cascade` removes them (one tree append);
   * the role's assignments end (one UnassignRole each); the role's own RoleRemoved comes LAST. So a failure
   * part-way leaves the role standing with its remaining assignments still folded, and a retry (even with the
   * same expected_revision: only the role's stream carries it, and it is untouched until the end) finishes
   * the cascade. After it, the assignments the fold dropped at the removal (a racing AssignRole's) end too;
   * the fold never applies them, so a failure there leaves only their streams behind. The token returned
   * is the cascade's last write.
   */
  async removeRole(
    meta: WriteMeta,
    data: { roleId: string; cascade: boolean },
    options?: WriteOptions,
  ): Promise<WriteOutcome> {
    const command: RoleCommand = { type: 'RemoveRole', data: { ...data } };
    if (!data.roleId) return this.role(meta, command, options);
    const target = { stream: roleStream(meta.tenantId, data.roleId), decider: role };
    const held = await this.writer.state(target);
    const namedBy = held.role ? rulesNamingRole(await this.tree(meta.tenantId), data.roleId) : [];
    const removal: RoleCommand = { type: 'RemoveRole', data: { ...data, namedBy } };
    // The refusals first, writing nothing: a wrong expected revision (the write path's own answer) and
    // rules naming the role without cascade (the decider's).
    const stale = options?.expectedRevision !== undefined && options.expectedRevision !== held.revision;
    if (!held.role || stale) return this.role(meta, removal, options);
    role.decide(removal, held);
    let outcome: WriteOutcome | undefined;
    if (data.cascade && namedBy.length > 0)
      outcome = await this.rule(meta, {
        type: 'RemoveRulesOfRole',
        data: { roleId: data.roleId, by: meta.actorId },
      });
    const before = await this.assignmentsOf(meta.tenantId, data.roleId);
    for (const assignmentId of [...before.held, ...before.unended]) {
      const ended = await this.assignment(meta, { type: 'UnassignRole', data: { assignmentId } });
      outcome = outcome ? later(outcome, ended) : ended;
    }
    let removed = await this.role(meta, removal, options);
    // Once more after the removal (D80): an AssignRole on another instance that appended after the list
    // above but read the role again before RoleRemoved kept its assignment; the fold dropped it at the
    // removal, and it is ended here. (One appended after RoleRemoved ends itself.) Only those the fold
    // dropped, and of those not one made against the role's definition standing now (defined again
    // meanwhile, read after this removal). A fold that does not show the removal in time lists nothing
    // here: the removal has happened and answers as such (a retry would meet the role gone), and what it
    // would have ended stays as streams no fold applies.
    const after = await this.assignmentsOf(meta.tenantId, data.roleId, true).catch((error: unknown) => {
      if ((error as PolicyError).code !== 'PERMISSION.UNAVAILABLE') throw error;
      return { held: [], unended: [] };
    });
    if (after.unended.length > 0) {
      const now = await this.writer.state(target);
      const standing = now.role ? now.definedSince : undefined;
      for (const assignmentId of after.unended) {
        const ended = await this.endDropped(meta, assignmentId, standing);
        if (ended?.changed) removed = later(removed, ended);
      }
    }
    return outcome ? later(removed, outcome) : removed;
  }

  /**
   * Ends an assignment the fold dropped, as read now and at that revision: one made against the role's
   * definition standing now (defined again after the removal, same assignment id) stands, and so does any
   * write landing between this read and the end (WRONG_EXPECTED_REVISION: it is newer, and answers for
   * itself).
   */
  private async endDropped(
    meta: WriteMeta,
    assignmentId: string,
    standingDefinition: number | undefined,
  ): Promise<WriteOutcome | undefined> {
    const target = { stream: assignmentStream(meta.tenantId, assignmentId), decider: assignment };
    const now = await this.writer.state(target);
    const against = now.assignment?.roleDefinedSince;
    if (!now.assignment || (standingDefinition !== undefined && against === standingDefinition))
      return undefined;
    return this.writer
      .write(target, { type: 'UnassignRole', data: { assignmentId } }, meta, {
        expectedRevision: now.revision,
      })
      .catch((error: unknown) => {
        if ((error as PolicyError).code !== 'PERMISSION.WRONG_EXPECTED_REVISION') throw error;
        return undefined;
      });
  }

  role(meta: WriteMeta, command: RoleCommand, options?: WriteOptions): Promise<WriteOutcome> {
    const target = { stream: roleStream(meta.tenantId, command.data.roleId || '?'), decider: role };
    return this.writer.write(target, command, meta, options);
  }

  /**
   * An assignment names an existing role. AssignRole reads the role, appends, then reads the role again
   * (D80): a RemoveRole on another instance may have listed the role's assignments before this append
   * and written RoleRemoved after it read the role, and would leave this one behind. If the role was
   * removed meanwhile (gone, or removed and defined again), the assignment did not stand: it is ended by
   * its own RoleUnassigned, through the same write path, and the caller is told FAILED_PRECONDITION on
   * `roleId`, as if the role had been gone at the first read.
   */
  async assignment(
    meta: WriteMeta,
    command: AssignmentCommand,
    options?: WriteOptions,
  ): Promise<WriteOutcome> {
    const target = {
      stream: assignmentStream(meta.tenantId, command.data.assignmentId || '?'),
      decider: assignment,
    };
    if (command.type !== 'AssignRole' || !command.data.roleId)
      return this.writer.write(target, command, meta, options);
    const { roleId } = command.data;
    const read = await this.roleState(meta.tenantId, roleId);
    if (!read.role) throw roleGone(roleId, 'does not exist');
    // Against the definition read: an assignment left from an earlier definition (a straggler never
    // ended) differs from this one, so a retry appends it afresh instead of answering OK for nothing.
    const against: AssignmentCommand = {
      type: 'AssignRole',
      data: { ...command.data, roleDefinedSince: read.definedSince },
    };
    const assigned = await this.writer.write(target, against, meta, options);
    const now = await this.roleState(meta.tenantId, roleId);
    if (now.role && now.definedSince === read.definedSince) return assigned;
    // Nothing written: the assignment already stood against the definition read, which is gone now; the
    // removal (RemoveRole's listings) ends it, this call only answers as it would a moment later.
    if (!assigned.changed) throw roleGone(roleId, 'was removed while it was being assigned');
    // At the revision this append left: a later write to the assignment (someone else's, or the removal's
    // own end of it) is not ended again.
    await this.writer
      .write(target, { type: 'UnassignRole', data: { assignmentId: command.data.assignmentId } }, meta, {
        expectedRevision: assigned.revision,
      })
      .catch((error: unknown) => {
        if ((error as PolicyError).code !== 'PERMISSION.WRONG_EXPECTED_REVISION') throw error;
      });
    throw roleGone(roleId, 'was removed while it was being assigned: the assignment was ended');
  }

  private roleState(tenantId: string, roleId: string): Promise<RoleState> {
    return this.writer.state({ stream: roleStream(tenantId, roleId), decider: role });
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
