import type { Metadata } from '@grpc/grpc-js';
import { Controller, Inject } from '@nestjs/common';
import { policyV1 } from '@tagguard/contracts';
import { DataSource } from 'typeorm';
import { PolicyCommands } from './commands/policy-commands';
import type { WriteMeta, WriteOutcome } from './commands/policy-writer';
import {
  caller,
  decodeCursor,
  edge,
  encodeCursor,
  fresh,
  pageSizeField,
  POLICY_EDGE,
  revisionField,
  writeResult,
  type EdgeDeps,
} from './edge';
import { PolicyObjectView } from './projections/policy-view/policy-view.entities';
import { PolicyViewProjection } from './projections/policy-view/policy-view.projection';
import {
  effectIn,
  resourceIn,
  subjectIn,
  toAssignment,
  toFreeze,
  toGroup,
  toRole,
  toRule,
  toWord,
} from './wire';

type Write = { result: policyV1.WriteResult };
type Page = { pageSize: number; pageToken: string; consistencyToken: string };
type Row = { object_id: string; revision: string; data: Record<string, unknown> };
/** The field holding when an object stops holding, per listed kind that expires. */
const EXPIRES: Record<string, string> = { freeze: 'until', assignment: 'expiresAt' };

/** tagguard.permission.v1.PolicyService: the admin API of the tenant's permission policy. */
@Controller()
@policyV1.PolicyServiceControllerMethods()
export class PolicyGrpcController implements policyV1.PolicyServiceController {
  constructor(
    @Inject(PolicyCommands) private readonly commands: PolicyCommands,
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(PolicyViewProjection) private readonly view: PolicyViewProjection,
    @Inject(POLICY_EDGE) private readonly deps: EdgeDeps,
  ) {}

  /** Every write: the caller (authorized once), its key bound to this request, the write itself. */
  private write(
    rpc: string,
    request: { idempotencyKey: string },
    metadata: Metadata | undefined,
    run: (m: WriteMeta) => Promise<WriteOutcome>,
  ): Promise<Write> {
    return edge(async () => {
      const meta = await caller(this.deps, metadata, 'policy.write', request.idempotencyKey);
      const { idempotencyKey, ...rest } = request;
      const { principal: _p, ...writeMeta } = meta;
      return this.commands.writer.once(writeMeta, idempotencyKey, { rpc, ...rest }, async () => ({
        result: writeResult(await run(writeMeta)),
      }));
    });
  }

  defineRole(r: policyV1.DefineRoleRequest, md?: Metadata): Promise<Write> {
    return this.write('DefineRole', r, md, (m) =>
      this.commands.role(
        m,
        { type: 'DefineRole', data: { roleId: r.roleId, name: r.name, scopes: r.scopes } },
        { expectedRevision: revisionField(r.expectedRevision) },
      ),
    );
  }

  removeRole(r: policyV1.RemoveRoleRequest, md?: Metadata): Promise<Write> {
    return this.write('RemoveRole', r, md, (m) =>
      this.commands.removeRole(
        m,
        { roleId: r.roleId, cascade: r.cascade },
        { expectedRevision: revisionField(r.expectedRevision) },
      ),
    );
  }

  assignRole(r: policyV1.AssignRoleRequest, md?: Metadata): Promise<Write> {
    return this.write('AssignRole', r, md, (m) => {
      const subject = subjectIn(r.subject);
      return this.commands.assignment(
        m,
        {
          type: 'AssignRole',
          data: {
            assignmentId: r.assignmentId,
            roleId: r.roleId,
            subject: subject as never,
            expiresAt: r.expiresAt || null,
          },
        },
        { expectedRevision: revisionField(r.expectedRevision) },
      );
    });
  }

  unassignRole(r: policyV1.UnassignRoleRequest, md?: Metadata): Promise<Write> {
    return this.write('UnassignRole', r, md, (m) =>
      this.commands.assignment(
        m,
        { type: 'UnassignRole', data: { assignmentId: r.assignmentId } },
        { expectedRevision: revisionField(r.expectedRevision) },
      ),
    );
  }

  definePermissionGroup(r: policyV1.DefinePermissionGroupRequest, md?: Metadata): Promise<Write> {
    return this.write('DefinePermissionGroup', r, md, (m) =>
      this.commands.group(
        m,
        {
          type: 'DefinePermissionGroup',
          data: { groupId: r.groupId, name: r.name, tagIds: r.tagIds, tagGroupIds: r.tagGroupIds },
        },
        { expectedRevision: revisionField(r.expectedRevision) },
      ),
    );
  }

  removePermissionGroup(r: policyV1.RemovePermissionGroupRequest, md?: Metadata): Promise<Write> {
    return this.write('RemovePermissionGroup', r, md, (m) =>
      this.commands.group(
        m,
        { type: 'RemovePermissionGroup', data: { groupId: r.groupId } },
        { expectedRevision: revisionField(r.expectedRevision) },
      ),
    );
  }

  private ruleIn(r: policyV1.AddRuleRequest | policyV1.UpdateRuleRequest) {
    return {
      ruleId: r.ruleId,
      effect: effectIn(r.effect),
      subject: subjectIn(r.subject),
      resource: resourceIn(r.resource),
      actions: r.actions,
      starred: r.starred,
      description: r.description,
    };
  }

  addRule(r: policyV1.AddRuleRequest, md?: Metadata): Promise<Write> {
    return this.write('AddRule', r, md, (m) =>
      this.commands.rule(
        m,
        {
          type: 'AddRule',
          data: {
            rule: this.ruleIn(r),
            ...(r.position !== undefined ? { position: r.position } : {}),
            by: m.actorId,
          },
        },
        { expectedRevision: revisionField(r.expectedRevision) },
      ),
    );
  }

  updateRule(r: policyV1.UpdateRuleRequest, md?: Metadata): Promise<Write> {
    return this.write('UpdateRule', r, md, (m) =>
      this.commands.rule(
        m,
        { type: 'UpdateRule', data: { rule: this.ruleIn(r) } },
        { expectedRevision: revisionField(r.expectedRevision) },
      ),
    );
  }

  removeRule(r: policyV1.RemoveRuleRequest, md?: Metadata): Promise<Write> {
    return this.write('RemoveRule', r, md, (m) =>
      this.commands.rule(
        m,
        { type: 'RemoveRule', data: { ruleId: r.ruleId, by: m.actorId } },
        { expectedRevision: revisionField(r.expectedRevision) },
      ),
    );
  }

  moveRule(r: policyV1.MoveRuleRequest, md?: Metadata): Promise<Write> {
    return this.write('MoveRule', r, md, (m) =>
      this.commands.rule(
        m,
        { type: 'MoveRule', data: { ruleId: r.ruleId, position: r.position, by: m.actorId } },
        { expectedRevision: revisionField(r.expectedRevision) },
      ),
    );
  }

  upsertSensitiveWord(r: policyV1.UpsertSensitiveWordRequest, md?: Metadata): Promise<Write> {
    return this.write('UpsertSensitiveWord', r, md, (m) =>
      this.commands.word(
        m,
        {
          type: 'UpsertSensitiveWord',
          data: { wordId: r.wordId, word: r.word, category: r.category, fields: r.fields },
        },
        { expectedRevision: revisionField(r.expectedRevision) },
      ),
    );
  }

  removeSensitiveWord(r: policyV1.RemoveSensitiveWordRequest, md?: Metadata): Promise<Write> {
    return this.write('RemoveSensitiveWord', r, md, (m) =>
      this.commands.word(
        m,
        { type: 'RemoveSensitiveWord', data: { wordId: r.wordId } },
        { expectedRevision: revisionField(r.expectedRevision) },
      ),
    );
  }

  freeze(r: policyV1.FreezeRequest, md?: Metadata): Promise<Write> {
    return this.write('Freeze', r, md, (m) =>
      this.commands.freeze(
        m,
        { type: 'Freeze', data: { actorId: r.actorId, reason: r.reason, until: r.until || null } },
        { expectedRevision: revisionField(r.expectedRevision) },
      ),
    );
  }

  unfreeze(r: policyV1.UnfreezeRequest, md?: Metadata): Promise<Write> {
    return this.write('Unfreeze', r, md, (m) =>
      this.commands.freeze(
        m,
        { type: 'Unfreeze', data: { actorId: r.actorId, reason: r.reason } },
        { expectedRevision: revisionField(r.expectedRevision) },
      ),
    );
  }

  /** A page of the tenant's live objects of one kind from the read model, by id (keyset). */
  private list<T>(kind: string, r: Page, md: Metadata | undefined, map: (row: Row) => T) {
    return edge(async () => {
      const who = await caller(this.deps, md, 'policy.manage');
      const size = pageSizeField(r.pageSize);
      const after = decodeCursor(r.pageToken);
      await fresh(this.view.folded, r.consistencyToken, 'consistencyToken');
      // A freeze or an assignment past its expiry no longer holds (the engine ignores it): not listed (D82).
      const expiry = EXPIRES[kind];
      const live = expiry ? `AND (data->>'${expiry}' IS NULL OR (data->>'${expiry}')::timestamptz > $5)` : '';
      const rows = (await this.db.query(
        `SELECT object_id, revision::text, data FROM ${this.table()}
          WHERE tenant_id = $1 AND kind = $2 AND NOT (data->>'removed')::boolean AND object_id > $3 ${live}
          ORDER BY object_id LIMIT $4`,
        [who.tenantId, kind, after ?? '', size + 1, ...(expiry ? [new Date().toISOString()] : [])],
      )) as Row[];
      const items = rows.slice(0, size).map(map);
      const next = rows.length > size ? encodeCursor(rows[size - 1]!.object_id) : '';
      return { items, next };
    });
  }

  async listRoles(r: policyV1.ListRolesRequest, md?: Metadata): Promise<policyV1.ListRolesResponse> {
    const { items, next } = await this.list('role', r, md, (row) => toRole(stored(row)));
    return { roles: items, nextPageToken: next };
  }

  async listRoleAssignments(
    r: policyV1.ListRoleAssignmentsRequest,
    md?: Metadata,
  ): Promise<policyV1.ListRoleAssignmentsResponse> {
    const { items, next } = await this.list('assignment', r, md, (row) => toAssignment(stored(row)));
    return { assignments: items, nextPageToken: next };
  }

  async listPermissionGroups(
    r: policyV1.ListPermissionGroupsRequest,
    md?: Metadata,
  ): Promise<policyV1.ListPermissionGroupsResponse> {
    const { items, next } = await this.list('group', r, md, (row) => toGroup(stored(row)));
    return { groups: items, nextPageToken: next };
  }

  async listSensitiveWords(
    r: policyV1.ListSensitiveWordsRequest,
    md?: Metadata,
  ): Promise<policyV1.ListSensitiveWordsResponse> {
    const { items, next } = await this.list('word', r, md, (row) => toWord(stored(row)));
    return { words: items, nextPageToken: next };
  }

  async listFreezes(r: policyV1.ListFreezesRequest, md?: Metadata): Promise<policyV1.ListFreezesResponse> {
    const { items, next } = await this.list('freeze', r, md, (row) => toFreeze(stored(row)));
    return { freezes: items, nextPageToken: next };
  }

  getPermissionTree(
    r: policyV1.GetPermissionTreeRequest,
    md?: Metadata,
  ): Promise<policyV1.GetPermissionTreeResponse> {
    return edge(async () => {
      const who = await caller(this.deps, md, 'policy.manage');
      await fresh(this.view.folded, r.consistencyToken, 'consistencyToken');
      const rows = (await this.db.query(
        `SELECT kind, object_id, revision::text, data FROM ${this.table()}
          WHERE tenant_id = $1 AND kind IN ('rule', 'rule-order')`,
        [who.tenantId],
      )) as (Row & { kind: string })[];
      let revision = -1;
      let order: string[] = [];
      const rules = new Map<string, Row>();
      for (const row of rows) {
        revision = Math.max(revision, Number(row.revision));
        if (row.kind === 'rule-order') order = row.data['ruleIds'] as string[];
        else if (!row.data['removed']) rules.set(row.object_id, row);
      }
      // The order names every live rule; one missing from it (never expected) sorts after, by id.
      const ids = [
        ...order.filter((id) => rules.has(id)),
        ...[...rules.keys()].filter((id) => !order.includes(id)).sort(),
      ];
      return {
        rules: ids.map((id, position) => toRule(stored(rules.get(id)!), position)),
        revision: String(revision),
      };
    });
  }

  private table(): string {
    const meta = this.db.getMetadata(PolicyObjectView);
    return `"${meta.schema ?? 'public'}"."${meta.tableName}"`;
  }
}

const stored = <T>(row: Row): T & { revision: string } =>
  ({ ...(row.data as object), revision: row.revision }) as T & { revision: string };
