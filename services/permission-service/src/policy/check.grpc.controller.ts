import type { Metadata } from '@grpc/grpc-js';
import { Controller, Inject } from '@nestjs/common';
import type { Principal } from '@tagguard/auth';
import { checkV1 } from '@tagguard/contracts';
import {
  actionMatches,
  check,
  orderedRules,
  rolesOf,
  ruleResourceCovers,
  ruleSubjectCovers,
  type CheckSubject,
  type Snapshot,
} from '@tagguard/permission-engine';
import { LocalCopies, type TenantCopy } from './copies/local-copies';
import { invalid } from './domain/policy.errors';
import { actionOf, idOf } from './domain/policy-rules';
import {
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
import { toDecision } from './wire';

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
    const others =
      subjects === 'anyone' ||
      subjects.some((s) => (s?.employeeId ?? '') !== '' && s!.employeeId !== principal.actorId);
    if (others) await caller(this.deps, md, 'check.others');
    await fresh(this.policy.folded, token, 'atLeastAsFresh');
    const copy = await this.copies.tenant(principal.tenantId);
    return {
      principal,
      copy,
      snapshot: { policy: this.policy.policy(principal.tenantId), directory: copy, tags: copy },
    };
  }

  private subjectOf(principal: Principal, s: checkV1.CheckSubject | undefined, field: string): CheckSubject {
    if (!s?.employeeId) return { employeeId: principal.actorId, tokenRoles: principal.roles };
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
      const subject = this.subjectOf(principal, r.subject, 'subject');
      const action = actionOf(r.action, 'action');
      const size = pageSizeField(r.pageSize);
      const after = decodeCursor(r.pageToken) ?? '';
      const ids = [...copy.tags.keys()].filter((id) => id > after).sort();
      const at = Date.now();
      const { items, next } = scan(
        ids,
        size,
        (tagId) => check(snapshot, { subject, action, tagId, at }).allowed,
      );
      return { tagIds: items, nextPageToken: next, snapshot: snapshot.policy.position.toString() };
    });
  }

  lookupSubjects(r: checkV1.LookupSubjectsRequest, md?: Metadata): Promise<checkV1.LookupSubjectsResponse> {
    return edge(async () => {
      const { snapshot, copy } = await this.prepare(md, 'anyone', r.atLeastAsFresh);
      const tagId = idOf(r.tagId, 'tagId');
      const action = actionOf(r.action, 'action');
      const size = pageSizeField(r.pageSize);
      const after = decodeCursor(r.pageToken) ?? '';
      const ids = [...copy.employees.keys()].filter((id) => id > after).sort();
      const at = Date.now();
      const { items, next } = scan(
        ids,
        size,
        (employeeId) =>
          check(snapshot, { subject: { employeeId, tokenRoles: [] }, action, tagId, at }).allowed,
      );
      return { employeeIds: items, nextPageToken: next, snapshot: snapshot.policy.position.toString() };
    });
  }

  expand(r: checkV1.ExpandRequest, md?: Metadata): Promise<checkV1.ExpandResponse> {
    return edge(async () => {
      const { principal, snapshot } = await this.prepare(md, [r.subject], r.atLeastAsFresh);
      const subject = this.subjectOf(principal, r.subject, 'subject');
      const action = actionOf(r.action, 'action');
      const tagId = idOf(r.tagId, 'tagId');
      const at = Date.now();
      const roles = rolesOf(snapshot, subject, at);
      const rules = orderedRules(snapshot)
        .map((rule, position) => ({ rule, position }))
        .filter(({ rule }) => ruleResourceCovers(snapshot, rule.resource, rule.starred, tagId))
        .map(({ rule, position }) => ({
          ruleId: rule.ruleId,
          position,
          effect: rule.effect,
          coversSubject: ruleSubjectCovers(snapshot, rule, subject, roles),
          coversAction: rule.actions.length === 0 || rule.actions.some((a) => actionMatches(a, action)),
          via: rule.resource.kind === 'tag' ? 'tag' : `${rule.resource.kind} ${rule.resource.id}`,
        }));
      return { rules, decision: toDecision(check(snapshot, { subject, action, tagId, at })) };
    });
  }
}

/** The first `size` ids (sorted) that pass, and a cursor when more remain. */
function scan(
  ids: string[],
  size: number,
  passes: (id: string) => boolean,
): { items: string[]; next: string } {
  const items: string[] = [];
  for (const id of ids) {
    if (!passes(id)) continue;
    if (items.length === size) return { items, next: encodeCursor(items[items.length - 1]!) };
    items.push(id);
  }
  return { items, next: '' };
}
