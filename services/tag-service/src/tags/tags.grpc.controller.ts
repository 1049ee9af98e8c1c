import { randomUUID } from 'node:crypto';
import { Controller, Inject } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import { tagV1 } from '@tagguard/contracts';
import { DataSource } from 'typeorm';
import { maskTag } from './authorization/masking';
import { assertSeesSubtree } from './authorization/subtree-sight';
import type { TagReader } from './authorization/tag-authorizer.port';
import { requestHash } from './commands/event-writer';
import { TagCommands } from './commands/tag-commands';
import type { TagCatalogEvent, TagKind } from './domain/tag-catalog.events';
import { TagError } from './domain/tag.errors';
import {
  caller,
  consistent,
  decodeCursor,
  optionalUuid,
  page,
  pageSizeField,
  readerFor,
  revisionField,
  uuidField,
  TAG_EDGE,
  type EdgeDeps,
} from './edge';
import { TagNodeView } from './projections/catalog-view/catalog-view.entities';
import { toTag, toWriteResult, visibilityField } from './wire';

const touched = (id: string) => (_events: TagCatalogEvent[]) => id;

/** tagguard.tag.v1.TagService: the tree of tags and groups. */
@Controller()
@tagV1.TagServiceControllerMethods()
export class TagsGrpcController implements tagV1.TagServiceController {
  constructor(
    @Inject(TagCommands) private readonly commands: TagCommands,
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(TAG_EDGE) private readonly edge: EdgeDeps,
  ) {}

  async createTag(request: tagV1.CreateTagRequest, metadata?: Metadata): Promise<tagV1.CreateTagResponse> {
    const nodeId = uuidField(request.tagId, 'tag_id');
    // The caller chose the id, so the id is the natural idempotency key: the same create again is a retry
    // and answers like the first time; another create with that id is ALREADY_EXISTS.
    const key = request.idempotencyKey || `create:${nodeId}`;
    const nodeType = request.nodeType === tagV1.TagNodeType.TAG_NODE_TYPE_GROUP ? 'group' : 'tag';
    const context = {
      ...(await caller(this.edge, metadata, 'catalog.write', key, () => ({
        create: {
          tagId: nodeId,
          kind: kindField(request.kind),
          nodeType,
          parentId: optionalUuid(request.parentId, 'parent_id'),
        },
      }))),
      callerKey: Boolean(request.idempotencyKey),
    };
    const parentId = optionalUuid(request.parentId, 'parent_id');
    const kind = kindField(request.kind);
    const answered = (await this.commands.catalog(context.principal.tenantId)).answers.get(key);
    if (!request.idempotencyKey && answered && answered.requestHash !== requestHash(request))
      throw new TagError('TAG.ALREADY_EXISTS', `tag ${nodeId} already exists`, 'tag_id');
    const result = await this.commands.onCatalog(
      context,
      request,
      (base) => ({
        type: 'CreateNode',
        data: {
          ...base,
          nodeId,
          nodeType,
          kind,
          name: request.name,
          parentId,
          description: request.description,
        },
      }),
      touched(nodeId),
    );
    return { result: toWriteResult(result) };
  }

  async renameTag(request: tagV1.RenameTagRequest, metadata?: Metadata): Promise<tagV1.RenameTagResponse> {
    const context = await caller(this.edge, metadata, 'catalog.write', request.idempotencyKey, () => ({
      tagId: uuidField(request.tagId, 'tag_id'),
    }));
    const nodeId = uuidField(request.tagId, 'tag_id');
    const expectedRevision = revisionField(request.expectedRevision);
    const result = await this.commands.onCatalog(
      context,
      request,
      (base) => ({ type: 'RenameNode', data: { ...base, nodeId, name: request.name, expectedRevision } }),
      touched(nodeId),
    );
    return { result: toWriteResult(result) };
  }

  async moveTag(request: tagV1.MoveTagRequest, metadata?: Metadata): Promise<tagV1.MoveTagResponse> {
    const context = await caller(this.edge, metadata, 'catalog.write', request.idempotencyKey, () => ({
      tagId: uuidField(request.tagId, 'tag_id'),
    }));
    const nodeId = uuidField(request.tagId, 'tag_id');
    const parentId = optionalUuid(request.parentId, 'parent_id');
    // The destination is authorized like CreateTag's parent: an invisible one answers as an absent one.
    if (parentId && !(await readerFor(this.edge, context)).see(parentId))
      throw new TagError('TAG.NOT_FOUND', `tag ${parentId} not found`, 'parent_id');
    const expectedRevision = revisionField(request.expectedRevision);
    const result = await this.commands.onCatalog(
      context,
      request,
      (base) => ({ type: 'MoveNode', data: { ...base, nodeId, parentId, expectedRevision } }),
      touched(nodeId),
    );
    return { result: toWriteResult(result) };
  }

  async reorderTag(request: tagV1.ReorderTagRequest, metadata?: Metadata): Promise<tagV1.ReorderTagResponse> {
    const context = await caller(this.edge, metadata, 'catalog.write', request.idempotencyKey, () => ({
      tagId: uuidField(request.tagId, 'tag_id'),
    }));
    const nodeId = uuidField(request.tagId, 'tag_id');
    const expectedRevision = revisionField(request.expectedRevision);
    const result = await this.commands.onCatalog(
      context,
      request,
      (base) => ({ type: 'ReorderNode', data: { ...base, nodeId, order: request.order, expectedRevision } }),
      touched(nodeId),
    );
    return { result: toWriteResult(result) };
  }

  async describeTag(
    request: tagV1.DescribeTagRequest,
    metadata?: Metadata,
  ): Promise<tagV1.DescribeTagResponse> {
    const context = await caller(this.edge, metadata, 'catalog.write', request.idempotencyKey, () => ({
      tagId: uuidField(request.tagId, 'tag_id'),
    }));
    const nodeId = uuidField(request.tagId, 'tag_id');
    const expectedRevision = revisionField(request.expectedRevision);
    const result = await this.commands.onCatalog(
      context,
      request,
      (base) => ({
        type: 'DescribeNode',
        data: { ...base, nodeId, description: request.description, expectedRevision },
      }),
      touched(nodeId),
    );
    return { result: toWriteResult(result) };
  }

  async setTagVisibility(
    request: tagV1.SetTagVisibilityRequest,
    metadata?: Metadata,
  ): Promise<tagV1.SetTagVisibilityResponse> {
    const context = await caller(this.edge, metadata, 'catalog.write', request.idempotencyKey, () => ({
      tagId: uuidField(request.tagId, 'tag_id'),
    }));
    const nodeId = uuidField(request.tagId, 'tag_id');
    const expectedRevision = revisionField(request.expectedRevision);
    const visibility = visibilityField(request.visibility);
    const result = await this.commands.onCatalog(
      context,
      request,
      (base) => ({
        type: 'ConfigureVisibility',
        data: { ...base, nodeId, visibility, sensitive: request.sensitive, expectedRevision },
      }),
      touched(nodeId),
    );
    return { result: toWriteResult(result) };
  }

  async setTagProtection(
    request: tagV1.SetTagProtectionRequest,
    metadata?: Metadata,
  ): Promise<tagV1.SetTagProtectionResponse> {
    const context = await caller(this.edge, metadata, 'catalog.write', request.idempotencyKey, () => ({
      tagId: uuidField(request.tagId, 'tag_id'),
    }));
    const nodeId = uuidField(request.tagId, 'tag_id');
    const expectedRevision = revisionField(request.expectedRevision);
    const result = await this.commands.onCatalog(
      context,
      request,
      (base) => ({
        type: 'SetProtection',
        data: { ...base, nodeId, protected: request.protected, expectedRevision },
      }),
      touched(nodeId),
    );
    return { result: toWriteResult(result) };
  }

  async deleteTag(request: tagV1.DeleteTagRequest, metadata?: Metadata): Promise<tagV1.DeleteTagResponse> {
    const context = await caller(this.edge, metadata, 'catalog.write', request.idempotencyKey, () => ({
      tagId: uuidField(request.tagId, 'tag_id'),
    }));
    const nodeId = uuidField(request.tagId, 'tag_id');
    const expectedRevision = revisionField(request.expectedRevision);
    const tenantId = context.principal.tenantId;
    const operationId = randomUUID();
    const result = await this.commands.onCatalog(
      context,
      request,
      async (base, state) => {
        assertSeesSubtree(await readerFor(this.edge, context), state, nodeId);
        return {
          type: 'DeleteNode',
          data: {
            ...base,
            nodeId,
            expectedRevision,
            memberCounts: await this.commands.memberCounts(tenantId, state, nodeId),
            operationId,
            approvalId: operationId,
          },
        };
      },
      touched(nodeId),
    );
    return { result: toWriteResult(result) };
  }

  async getTag(request: tagV1.GetTagRequest, metadata?: Metadata): Promise<tagV1.GetTagResponse> {
    const context = await caller(this.edge, metadata, 'catalog.read');
    const nodeId = uuidField(request.tagId, 'tag_id');
    await consistent(this.edge, request.consistencyToken, context);
    const row = await this.db
      .getRepository(TagNodeView)
      .findOneBy({ tenantId: context.principal.tenantId, nodeId });
    const sight = (await readerFor(this.edge, context)).see(nodeId);
    // A tag the caller may not see is answered exactly like an absent one.
    if (!row || row.status === 'purged' || !sight)
      throw new TagError('TAG.NOT_FOUND', `tag ${nodeId} not found`, 'tag_id');
    return { tag: maskTag(toTag(row), sight) };
  }

  async listTags(request: tagV1.ListTagsRequest, metadata?: Metadata): Promise<tagV1.ListTagsResponse> {
    const context = await caller(this.edge, metadata, 'catalog.read');
    const pageSize = pageSizeField(request.pageSize, 100, 500);
    const parentId = optionalUuid(request.parentId, 'parent_id');
    const after = decodeCursor(request.pageToken, ['text']);
    await consistent(this.edge, request.consistencyToken, context);
    const reader = await readerFor(this.edge, context);
    const chunk = (from: string, size: number) => {
      const query = this.db
        .getRepository(TagNodeView)
        .createQueryBuilder('t')
        .where('t.tenant_id = :tenant AND t.node_id > :after', {
          tenant: context.principal.tenantId,
          after: from,
        });
      if (parentId) query.andWhere('t.parent_id = :parentId', { parentId });
      else if (request.onlyRoots) query.andWhere('t.parent_id IS NULL');
      if (!request.includeDeleted) query.andWhere(`t.status = 'active'`);
      return query.orderBy('t.node_id', 'ASC').limit(size).getMany();
    };
    const rows = await visibleRows(chunk, after?.[0] ?? '', pageSize + 1, reader);
    const { items, next } = page(rows, pageSize, (r) => [r.nodeId]);
    return { tags: items.map((r) => maskTag(toTag(r), reader.see(r.nodeId)!)), nextPageToken: next };
  }
}

/**
 * Reads keyset chunks until `wanted` rows the caller may see are found or the rows run out: a page of a
 * restricted caller skips what it may not see instead of coming back short. After the first chunk the
 * next one is sized by the share of rows seen so far that were visible (×4 when none was), at most
 * 4,000 rows, so a caller who sees little scans a large catalogue in a few queries and one who sees
 * almost everything reads little more than the page.
 */
async function visibleRows(
  chunk: (after: string, size: number) => Promise<TagNodeView[]>,
  after: string,
  wanted: number,
  reader: TagReader,
): Promise<TagNodeView[]> {
  const out: TagNodeView[] = [];
  let scanned = 0;
  for (let from = after, size = wanted; ;) {
    const rows = await chunk(from, size);
    for (const r of rows) {
      scanned++;
      if (reader.see(r.nodeId)) out.push(r);
      if (out.length === wanted) return out;
    }
    if (rows.length < size) return out;
    from = rows[rows.length - 1]!.nodeId;
    const missing = wanted - out.length;
    size =
      out.length === 0
        ? Math.min(size * 4, 4_000)
        : Math.min(Math.ceil((missing * scanned * 1.25) / out.length) + 8, 4_000);
  }
}

function kindField(kind: tagV1.TagKind): TagKind {
  if (kind === tagV1.TagKind.TAG_KIND_MEMBER) return 'member';
  if (kind === tagV1.TagKind.TAG_KIND_CUSTOMER) return 'customer';
  if (kind === tagV1.TagKind.TAG_KIND_PARTNER) return 'partner';
  throw new TagError(
    'TAG.INVALID_ARGUMENT',
    'must be TAG_KIND_MEMBER, TAG_KIND_CUSTOMER or TAG_KIND_PARTNER',
    'kind',
  );
}
