import type { Metadata } from '@grpc/grpc-js';
import { Controller, Inject } from '@nestjs/common';
import type { Principal } from '@tagguard/auth';
import { checkV1 } from '@tagguard/contracts';
import {
  check,
  expand,
  lookupResources,
  lookupSubjects,
  type CheckSubject,
  type Snapshot,
} from '@tagguard/permission-engine';
import { LocalCopies, type TenantCopy } from './copies/local-copies';
import { invalid } from './domain/policy.errors';
import { actionOf, idOf } from './domain/policy-rules';
import {
  authorized,
  caller,
  decodeCursor,
  edge,
  encodeCursor,
  fresh,
  pageSizeField,
  POLICY_EDGE,
  type EdgeDeps,
} from './edge';
import { PolicyMemory } from './engine/policy-memory';
import { toDecision, toExpandNode } from './wire';

export const MAX_BATCH = 100;

/**
 * tagguard.permission.v1.CheckService: the pure engine (libs/permission-engine) over permission-service's
 * own copies. A decision waits only for `at_least_as_fresh` (bounded), never for another service.
 */
@Controller()
@checkV1.CheckServiceControllerMethods()
export class CheckGrpcController implements checkV1.CheckServiceController {
  constructor(
    @Inject(PolicyMemory) private readonly policy: PolicyMemory,
    @Inject(LocalCopies) private readonly copies: LocalCopies,
    @Inject(POLICY_EDGE) private readonly deps: EdgeDeps,
  ) {}

  /** The caller, the subject asked about (asking about someone else is authorized), and a fresh enough snapshot. */
  private async prepare(
    md: Metadata | undefined,
    subjects: (checkV1.CheckSubject | undefined)[] | 'anyone',
    token: string,
  ): Promise<{ principal: Principal; snapshot: Snapshot; copy: TenantCopy }> {
    const { principal } = await caller(this.deps, md, undefined);
    // Roles in the request are a claim about someone ("what may X with these roles do"), never proof about
    // the caller: any claimed roles, like any other employee, need check.others (tenant_admin / policy.manage
    // / permission.check). Otherwise a caller could list restricted tags by claiming tenant_admin for itself.
    const others =
      subjects === 'anyone' ||
      subjects.some(
        (s) =>
          (s?.roles.length ?? 0) > 0 || ((s?.employeeId ?? '') !== '' && s!.employeeId !== principal.actorId),
      );
    if (others) await authorized(this.deps, principal, 'check.others');
    await fresh(this.policy.folded, token, 'atLeastAsFresh');
    const copy = await this.copies.tenant(principal.tenantId);
    return {
      principal,
      copy,
      snapshot: { policy: this.policy.policy(principal.tenantId), directory: copy, tags: copy },
    };
  }

  private subjectOf(principal: Principal, s: checkV1.CheckSubject | undefined, field: string): CheckSubject {
    // The caller about itself acts with its token's roles; claimed roles were authorized in `prepare`.
    const claimed = (s?.roles.length ?? 0) > 0;
    if (!s?.employeeId || (s.employeeId === principal.actorId && !claimed))
      return { employeeId: principal.actorId, tokenRoles: claimed ? [...s!.roles] : principal.roles };
    return { employeeId: idOf(s.employeeId, `${field}.employeeId`), tokenRoles: [...s.roles] };
  }

  check(r: checkV1.CheckRequest, md?: Metadata): Promise<checkV1.CheckResponse> {
    return edge(async () => {
      const { principal, snapshot } = await this.prepare(md, [r.subject], r.atLeastAsFresh);
      const decision = check(snapshot, {
        subject: this.subjectOf(principal, r.subject, 'subject'),
        action: actionOf(r.action, 'action'),
        tagId: idOf(r.tagId, 'tagId'),
        fields: r.fields,
        at: Date.now(),
      });
      return { decision: toDecision(decision) };
    });
  }

  batchCheck(r: checkV1.BatchCheckRequest, md?: Metadata): Promise<checkV1.BatchCheckResponse> {
    return edge(async () => {
      if (r.items.length === 0 || r.items.length > MAX_BATCH)
        throw invalid('items', `must hold 1 to ${MAX_BATCH} checks`);
      const { principal, snapshot } = await this.prepare(
        md,
        r.items.map((i) => i.subject),
        r.atLeastAsFresh,
      );
      const at = Date.now();
      return {
        decisions: r.items.map((item, i) =>
          toDecision(
            check(snapshot, {
              subject: this.subjectOf(principal, item.subject, `items[${i}].subject`),
              action: actionOf(item.action, `items[${i}].action`),
              tagId: idOf(item.tagId, `items[${i}].tagId`),
              fields: item.fields,
              at,
            }),
          ),
        ),
      };
    });
  }

  lookupResources(
    r: checkV1.LookupResourcesRequest,
    md?: Metadata,
  ): Promise<checkV1.LookupResourcesResponse> {
    return edge(async () => {
      const { principal, snapshot, copy } = await this.prepare(md, [r.subject], r.atLeastAsFresh);
      const { ids, next } = lookupResources(
        snapshot,
        this.subjectOf(principal, r.subject, 'subject'),
        actionOf(r.action, 'action'),
        { source: copy.tags, version: copy.tagIdsVersion, ids: () => copy.tags.keys() },
        { after: decodeCursor(r.pageToken) ?? null, limit: pageSizeField(r.pageSize), at: Date.now() },
      );
      return {
        tagIds: ids,
        nextPageToken: next === null ? '' : encodeCursor(next),
        snapshot: snapshot.policy.position.toString(),
      };
    });
  }

  lookupSubjects(r: checkV1.LookupSubjectsRequest, md?: Metadata): Promise<checkV1.LookupSubjectsResponse> {
    return edge(async () => {
      const { snapshot, copy } = await this.prepare(md, 'anyone', r.atLeastAsFresh);
      const { ids, next } = lookupSubjects(
        snapshot,
        idOf(r.tagId, 'tagId'),
        actionOf(r.action, 'action'),
        { source: copy.employees, version: copy.employeeIdsVersion, ids: () => copy.employees.keys() },
        { after: decodeCursor(r.pageToken) ?? null, limit: pageSizeField(r.pageSize), at: Date.now() },
      );
      return {
        employeeIds: ids,
        nextPageToken: next === null ? '' : encodeCursor(next),
        snapshot: snapshot.policy.position.toString(),
      };
    });
  }

  expand(r: checkV1.ExpandRequest, md?: Metadata): Promise<checkV1.ExpandResponse> {
    return edge(async () => {
      // The tree names every holder of every role: a question about everyone, authorized as such.
      const { snapshot } = await this.prepare(md, 'anyone', r.atLeastAsFresh);
      const tree = expand(snapshot, idOf(r.tagId, 'tagId'), actionOf(r.action, 'action'));
      return { tree: toExpandNode(tree), snapshot: snapshot.policy.position.toString() };
    });
  }
}
