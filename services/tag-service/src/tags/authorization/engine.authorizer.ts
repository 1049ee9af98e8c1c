import type { Principal } from '@tagguard/auth';
import { check, type Decision, type Snapshot, type TagFacts } from '@tagguard/permission-engine';
import type { DirectoryCopy } from '../directory-copy/directory-copy';
import type { TagCatalogState } from '../domain/tag-catalog.state';
import { TagError } from '../domain/tag.errors';
import { callerDirectoryView } from '../policy-copy/domain/caller-directory-view';
import { catalogTagView } from '../policy-copy/domain/catalog-tag-view';
import type { PolicyCopy } from '../policy-copy/policy-copy';
import { engineAction, TAG_KINDS, tenantResource } from './domain/engine-actions';
import type { TagAction, TagAuthorizer, TagReader, TagSight, TagTarget } from './tag-authorizer.port';

export const TENANT_ADMIN = 'tenant_admin';
export const PLATFORM_OPERATOR = 'platform_operator';

/** The fields of a tag the engine's sensitive-word level scans (and may ask to mask). */
const SCANNED_FIELDS = ['name', 'description'] as const;

/**
 * tag-service's one authorizer: every call is decided by the permission engine's `check`, in process,
 * on a snapshot of tag-service's own copies — the policy (permission-service's events), the directory
 * (sync-service's events) and the catalogue itself — so no read or write waits on another service.
 */
export class EngineTagAuthorizer implements TagAuthorizer {
  constructor(
    private readonly policies: PolicyCopy,
    private readonly directory: DirectoryCopy,
    private readonly catalog: (tenantId: string) => Promise<TagCatalogState>,
    private readonly clock: () => number = () => Date.now(),
  ) {}

  async authorize(principal: Principal, action: TagAction, target?: TagTarget): Promise<void> {
    if (action === 'readmodels.rebuild') {
      // Data every tenant shares: no tenant's policy can grant it.
      if (principal.roles.includes(PLATFORM_OPERATOR)) return;
      throw new TagError(
        'TAG.PERMISSION_DENIED',
        `${action} is a platform operation: it needs the ${PLATFORM_OPERATOR} role`,
      );
    }
    // The assignee (or a tenant admin) completes a task: the task's decider knows the assignee. A frozen
    // actor's writes are denied everywhere, so the engine's freeze level still runs (on the tenant resource).
    if (action === 'tasks.write') {
      const { snapshot } = await this.snapshot(principal);
      const resource = tenantResource(principal.tenantId);
      const decision = check(snapshot, {
        subject: subjectOf(principal),
        action: engineAction('catalog.write', resource.kind),
        tagId: resource.tagId,
        at: this.clock(),
      });
      const freeze = decision.levels.find((l) => l.level === 'freeze');
      if (freeze?.outcome === 'deny') throw refusal(action, { ...decision, levels: [freeze] });
      return;
    }
    const reads = action === 'catalog.read' || action === 'members.read';
    // A list is filtered tag by tag (reader); there is nothing to refuse before it.
    if (reads && !target) return;
    const { snapshot, state } = await this.snapshot(principal, target);
    const at = this.clock();
    const decide = (facts: TagFacts, a: TagAction = action): Decision =>
      check(snapshot, {
        subject: subjectOf(principal),
        action: engineAction(a, facts.kind),
        tagId: facts.tagId,
        at,
      });
    const tenantWide = (): Decision[] =>
      TAG_KINDS.map((kind) => decide(tenantResource(principal.tenantId, kind)));
    if (!target) {
      // A tenant-wide write (a restore of the whole catalogue): every kind's action must be allowed.
      const decisions =
        action === 'governance.write' || action === 'approval.decide'
          ? [decide(tenantResource(principal.tenantId))]
          : tenantWide();
      const denied = decisions.find((d) => !d.allowed);
      if (denied) throw refusal(action, denied);
      return;
    }
    if ('create' in target) {
      const { parentId } = target.create;
      if (parentId && !this.visible(snapshot, state, principal, parentId, at))
        throw absent(parentId, 'parent_id');
      const decision = decide(snapshot.tags.tag(target.create.tagId)!); // the new tag's facts, or the retried one's
      if (!decision.allowed) throw refusal(action, decision);
      return;
    }
    const field = target.field ?? 'tag_id';
    const facts = snapshot.tags.tag(target.tagId);
    if (!facts || !this.visible(snapshot, state, principal, target.tagId, at)) {
      // Absent and invisible answer the same: refused if the caller could not write any such tag,
      // NOT_FOUND otherwise (the decider says the same for an absent one).
      if (reads) throw absent(target.tagId, field);
      const decisions = tenantWide();
      if (decisions.every((d) => !d.allowed)) throw refusal(action, decisions[0]!);
      throw absent(target.tagId, field);
    }
    if (reads) return;
    const decision = decide(facts);
    if (!decision.allowed) throw refusal(action, decision);
  }

  async reader(principal: Principal): Promise<TagReader> {
    const { snapshot, state } = await this.snapshot(principal);
    const at = this.clock();
    const seen = new Map<string, TagSight | undefined>();
    return {
      see: (tagId) => {
        if (seen.has(tagId)) return seen.get(tagId);
        const sight = this.sight(snapshot, state, principal, tagId, at);
        seen.set(tagId, sight);
        return sight;
      },
    };
  }

  private visible(
    snapshot: Snapshot,
    state: TagCatalogState,
    principal: Principal,
    tagId: string,
    at: number,
  ): boolean {
    return this.sight(snapshot, state, principal, tagId, at) !== undefined;
  }

  private sight(
    snapshot: Snapshot,
    state: TagCatalogState,
    principal: Principal,
    tagId: string,
    at: number,
  ): TagSight | undefined {
    const facts = snapshot.tags.tag(tagId);
    const node = state.nodes.get(tagId);
    if (!facts || !node) return undefined;
    const decision = check(snapshot, {
      subject: subjectOf(principal),
      action: engineAction('catalog.read', facts.kind),
      tagId,
      fields: Object.fromEntries(SCANNED_FIELDS.map((f) => [f, node[f]])),
      at,
    });
    return decision.allowed ? { maskedFields: decision.maskedFields } : undefined;
  }

  private async snapshot(
    principal: Principal,
    target?: TagTarget,
  ): Promise<{ snapshot: Snapshot; state: TagCatalogState }> {
    const [policy, directory, state] = await Promise.all([
      this.policies.policy(principal.tenantId),
      this.directory.callerFacts(principal.tenantId, principal.actorId),
      this.catalog(principal.tenantId),
    ]);
    const extra: TagFacts[] = TAG_KINDS.map((kind) => tenantResource(principal.tenantId, kind));
    if (target && 'create' in target && !state.nodes.get(target.create.tagId)) {
      const { tagId, kind, nodeType, parentId } = target.create;
      extra.push({
        tagId,
        kind,
        isGroup: nodeType === 'group',
        parentId,
        visibility: { restricted: false, departments: [], roles: [], memberIds: [] },
        sensitive: false,
      });
    }
    return {
      snapshot: { policy, directory: callerDirectoryView(directory), tags: catalogTagView(state, extra) },
      state,
    };
  }
}

const subjectOf = (principal: Principal) => ({ employeeId: principal.actorId, tokenRoles: principal.roles });

/** The same answer as for a tag that does not exist (catalog-guards' message). */
const absent = (tagId: string, field: string) =>
  new TagError('TAG.NOT_FOUND', `tag ${tagId} not found`, field);

function refusal(action: TagAction, decision: Decision): TagError {
  const last = decision.levels[decision.levels.length - 1];
  // Frozen by the policy (a manual freeze, or tag-service's own once its copy has it): the same code as the
  // catalogue's own freeze guard, whichever of the two refuses first.
  return new TagError(
    last?.level === 'freeze' ? 'TAG.OPERATOR_FROZEN' : 'TAG.PERMISSION_DENIED',
    `${action} denied${last ? ` at ${last.level}: ${last.reason}` : ''}`,
  );
}
