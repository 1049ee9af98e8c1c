import { randomUUID } from 'node:crypto';
import type { CommandContext } from '../commands/event-writer';
import type { TagCommands } from '../commands/tag-commands';
import type { MemberRef } from '../domain/tag-catalog.events';
import { subtreeOf, type TagCatalogState, type TagNode } from '../domain/tag-catalog.state';
import { MAX_BATCH } from '../domain/tag-members';
import {
  diffTrees,
  planRestore,
  scopeOf,
  type Change,
  type RestorePlan,
  type TreeView,
} from '../domain/time-machine';
import { TagError } from '../domain/tag.errors';
import { derivedId } from '../streams';
import type { AsOf, TimeMachineReader } from './time-machine.reader';

export const TAG_RECOVERY_ROLE = 'tag_recovery';

/** As-of views, diffs and point-in-time restores: reads through the reader, writes through TagCommands. */
export class TimeMachine {
  constructor(
    private readonly reader: TimeMachineReader,
    private readonly commands: TagCommands,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async tagAsOf(tenantId: string, tagId: string, at: AsOf): Promise<{ node: TagNode; members: MemberRef[] }> {
    const catalog = await this.reader.catalogAt(tenantId, at);
    const node = catalog.nodes.get(tagId);
    if (!node) throw new TagError('TAG.NOT_FOUND', `tag ${tagId} did not exist then`, 'tag_id');
    const members =
      node.nodeType === 'tag' ? [...(await this.reader.membersAt(tenantId, tagId, at)).values()] : [];
    return { node, members };
  }

  /** A subtree (or the tenant) then, parents before children. */
  async treeAsOf(
    tenantId: string,
    rootId: string | null,
    at: AsOf,
  ): Promise<{ nodes: TagNode[]; view: TreeView }> {
    const view = await this.reader.view(tenantId, at, (c) => idsUnder(c, rootId));
    const nodes = rootId === null ? topDown(view.catalog) : subtreeOf(view.catalog, rootId);
    if (rootId !== null && nodes.length === 0)
      throw new TagError('TAG.NOT_FOUND', `tag ${rootId} did not exist then`, 'root_id');
    return { nodes, view };
  }

  async diff(tenantId: string, rootId: string | null, from: AsOf, to: AsOf): Promise<Change[]> {
    const [fromCatalog, toCatalog] = await Promise.all([
      this.reader.catalogAt(tenantId, from),
      this.reader.catalogAt(tenantId, to),
    ]);
    const ids = scopeOf(fromCatalog, toCatalog, rootId);
    const [before, after] = await Promise.all([
      this.reader.view(tenantId, from, () => ids),
      this.reader.view(tenantId, to, () => ids),
    ]);
    return diffTrees(before, after, ids);
  }

  /** The dry run: exactly what `restore` would append, computed against now. */
  async plan(
    context: CommandContext,
    rootId: string | null,
    at: AsOf,
    restoreId: string = randomUUID(),
  ): Promise<RestorePlan> {
    const tenantId = context.principal.tenantId;
    const current = (await this.commands.catalog(tenantId)).state;
    const target = await this.reader.catalogAt(tenantId, at);
    const ids = scopeOf(target, current, rootId);
    const tagIds = ids.filter((id) => (current.nodes.get(id) ?? target.nodes.get(id))?.nodeType === 'tag');
    const currentMembers = new Map(
      await Promise.all(
        tagIds.map(async (id) => [id, (await this.commands.members(tenantId, id)).state.members] as const),
      ),
    );
    const targetView = await this.reader.view(tenantId, at, () => tagIds);
    return planRestore(
      { catalog: current, members: currentMembers },
      { catalog: target, members: targetView.members },
      ids,
      {
        restoreId,
        asOf: describe(at),
        actorId: context.principal.actorId,
        now: this.clock().toISOString(),
      },
    );
  }

  /**
   * Appends the plan now: the catalogue's compensating events in one append (checked again by the
   * decider: frozen actor, purged tags need tag_recovery), then each tag's member changes with ids
   * derived from the restore, so a retry appends nothing twice.
   */
  async restore(
    context: CommandContext,
    rootId: string | null,
    at: AsOf,
    request: unknown,
  ): Promise<{ restoreId: string; changes: Change[]; consistencyToken: string }> {
    const tenantId = context.principal.tenantId;
    const restoreId: string = context.idempotencyKey
      ? derivedId('restore', tenantId, context.idempotencyKey)
      : randomUUID();
    let plan: RestorePlan | undefined;
    const written = await this.commands.onCatalog(
      context,
      request,
      async (base) => {
        plan = await this.plan(context, rootId, at, restoreId);
        return {
          type: 'ApplyRestore',
          data: {
            ...base,
            events: plan.catalog,
            unpurged: plan.unpurged,
            mayUnpurge: context.principal.roles.includes(TAG_RECOVERY_ROLE),
          },
        };
      },
      () => rootId ?? '',
    );
    // Answered from an earlier attempt: whatever member changes are still missing are planned again.
    plan ??= await this.plan(context, rootId, at, restoreId);
    let token = written.consistencyToken;
    const memberContext: CommandContext = { ...context, idempotencyKey: undefined };
    for (const change of plan.members)
      for (const [kind, list] of [
        ['add_members', change.add],
        ['remove_members', change.remove],
      ] as const)
        for (let i = 0; i < list.length; i += MAX_BATCH) {
          const result = await this.commands.onMembers(memberContext, {
            change: kind,
            tagId: change.tagId,
            members: list.slice(i, i + MAX_BATCH),
            source: 'restore',
            idSeed: `restore:${restoreId}:${change.tagId}:${kind}:${i}`,
          });
          token = result.consistencyToken || token;
        }
    return { restoreId, changes: plan.changes, consistencyToken: token };
  }
}

function idsUnder(catalog: TagCatalogState, rootId: string | null): string[] {
  return rootId === null ? [...catalog.nodes.keys()] : subtreeOf(catalog, rootId).map((n) => n.nodeId);
}

function topDown(catalog: TagCatalogState): TagNode[] {
  return [...catalog.nodes.values()]
    .filter((n) => n.parentId === null)
    .flatMap((root) => subtreeOf(catalog, root.nodeId));
}

function describe(at: AsOf): string {
  if (!at) return 'now';
  return 'timestamp' in at ? at.timestamp.toISOString() : `${at.position.commit}/${at.position.prepare}`;
}
