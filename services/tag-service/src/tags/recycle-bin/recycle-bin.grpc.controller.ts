import { Controller, Inject } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import { recycleBinV1 } from '@tagguard/contracts';
import { DataSource } from 'typeorm';
import { TagCommands } from '../commands/tag-commands';
import {
  caller,
  consistent,
  decodeCursor,
  iso,
  page,
  pageSizeField,
  readerFor,
  uuidField,
  TAG_EDGE,
  type EdgeDeps,
} from '../edge';
import { TagNodeView } from '../projections/catalog-view/catalog-view.entities';
import { toTag, toWriteResult } from '../wire';
import { maskTag } from '../authorization/masking';
import { assertSeesSubtree } from '../authorization/subtree-sight';

/** tagguard.tag.v1.RecycleBinService: what was deleted, by whom, until when it can come back. */
@Controller()
@recycleBinV1.RecycleBinServiceControllerMethods()
export class RecycleBinGrpcController implements recycleBinV1.RecycleBinServiceController {
  constructor(
    @Inject(TagCommands) private readonly commands: TagCommands,
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(TAG_EDGE) private readonly edge: EdgeDeps,
  ) {}

  async listRecycleBin(
    request: recycleBinV1.ListRecycleBinRequest,
    metadata?: Metadata,
  ): Promise<recycleBinV1.ListRecycleBinResponse> {
    const context = await caller(this.edge, metadata, 'catalog.read');
    const tenantId = context.principal.tenantId;
    const pageSize = pageSizeField(request.pageSize, 100, 500);
    const after = decodeCursor(request.pageToken, ['text']);
    await consistent(this.edge, request.consistencyToken, context);
    const reader = await readerFor(this.edge, context);
    const rows = await this.db
      .getRepository(TagNodeView)
      .createQueryBuilder('t')
      .where(
        `t.tenant_id = :tenantId AND t.status = 'binned' AND t.bin_root_id = t.node_id AND t.node_id > :after`,
        { tenantId, after: after?.[0] ?? '' },
      )
      .orderBy('t.node_id', 'ASC')
      .limit(pageSize + 1)
      .getMany();
    // Filtered after the page is cut, so a restricted caller's page may come back short (the cursor
    // still moves on): the bin holds few roots.
    const { items: all, next } = page(rows, pageSize, (r) => [r.nodeId]);
    const items = all.filter((r) => reader.see(r.nodeId));
    // Only the nodes the caller may see are counted: an invisible one is as if it did not exist (D54).
    const counts = await Promise.all(
      items.map(async (r) => {
        const nodes = await this.db
          .getRepository(TagNodeView)
          .find({ select: { nodeId: true }, where: { tenantId, binRootId: r.nodeId, status: 'binned' } });
        return nodes.filter((n) => reader.see(n.nodeId)).length;
      }),
    );
    return {
      entries: items.map((r, i) => ({
        tag: maskTag(toTag(r), reader.see(r.nodeId)!),
        nodeCount: counts[i]!,
        deletedBy: r.deletedBy ?? '',
        deletedAt: iso(r.deletedAt),
        purgeDueAt: iso(r.purgeDueAt),
      })),
      nextPageToken: next,
    };
  }

  async restoreTag(
    request: recycleBinV1.RestoreTagRequest,
    metadata?: Metadata,
  ): Promise<recycleBinV1.RestoreTagResponse> {
    const context = await caller(this.edge, metadata, 'catalog.write', request.idempotencyKey, () => ({
      tagId: uuidField(request.tagId, 'tag_id'),
    }));
    const nodeId = uuidField(request.tagId, 'tag_id');
    const result = await this.commands.onCatalog(
      context,
      request,
      async (base, state) => {
        assertSeesSubtree(await readerFor(this.edge, context), state, nodeId);
        return { type: 'RestoreNode', data: { ...base, nodeId } };
      },
      () => nodeId,
    );
    return { result: toWriteResult(result) };
  }
}
