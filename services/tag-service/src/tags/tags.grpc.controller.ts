import { randomUUID } from 'node:crypto';
import { Controller, Inject } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import { tagV1 } from '@tagguard/contracts';
import { DataSource } from 'typeorm';
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
    const context = {
      ...(await caller(this.edge, metadata, 'catalog.write', key)),
      callerKey: Boolean(request.idempotencyKey),
    };
    const parentId = optionalUuid(request.parentId, 'parent_id');
    const kind = kindField(request.kind);
    const nodeType = request.nodeType === tagV1.TagNodeType.TAG_NODE_TYPE_GROUP ? 'group' : 'tag';
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
    const context = await caller(this.edge, metadata, 'catalog.write', request.idempotencyKey);
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
    const context = await caller(this.edge, metadata, 'catalog.write', request.idempotencyKey);
    const nodeId = uuidField(request.tagId, 'tag_id');
    const parentId = optionalUuid(request.parentId, 'parent_id');
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
    const context = await caller(this.edge, metadata, 'catalog.write', request.idempotencyKey);
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
    const context = await caller(this.edge, metadata, 'catalog.write', request.idempotencyKey);
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
    const context = await caller(this.edge, metadata, 'catalog.write', request.idempotencyKey);
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
    const context = await caller(this.edge, metadata, 'catalog.write', request.idempotencyKey);
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
    const context = await caller(this.edge, metadata, 'catalog.write', request.idempotencyKey);
    const nodeId = uuidField(request.tagId, 'tag_id');
    const expectedRevision = revisionField(request.expectedRevision);
    const tenantId = context.principal.tenantId;
    const operationId = randomUUID();
    const result = await this.commands.onCatalog(
      context,
      request,
      async (base, state) => ({
        type: 'DeleteNode',
        data: {
          ...base,
          nodeId,
          expectedRevision,
          memberCounts: await this.commands.memberCounts(tenantId, state, nodeId),
          operationId,
          approvalId: operationId,
        },
      }),
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
    if (!row || row.status === 'purged')
      throw new TagError('TAG.NOT_FOUND', `tag ${nodeId} not found`, 'tag_id');
    return { tag: toTag(row) };
  }

  async listTags(request: tagV1.ListTagsRequest, metadata?: Metadata): Promise<tagV1.ListTagsResponse> {
    const context = await caller(this.edge, metadata, 'catalog.read');
    const pageSize = pageSizeField(request.pageSize, 100, 500);
    const parentId = optionalUuid(request.parentId, 'parent_id');
    const after = decodeCursor(request.pageToken, 1) as [string] | undefined;
    await consistent(this.edge, request.consistencyToken, context);
    const query = this.db
      .getRepository(TagNodeView)
      .createQueryBuilder('t')
      .where('t.tenant_id = :tenant AND t.node_id > :after', {
        tenant: context.principal.tenantId,
        after: after?.[0] ?? '',
      });
    if (parentId) query.andWhere('t.parent_id = :parentId', { parentId });
    else if (request.onlyRoots) query.andWhere('t.parent_id IS NULL');
    if (!request.includeDeleted) query.andWhere(`t.status = 'active'`);
    const rows = await query
      .orderBy('t.node_id', 'ASC')
      .limit(pageSize + 1)
      .getMany();
    const { items, next } = page(rows, pageSize, (r) => [r.nodeId]);
    return { tags: items.map(toTag), nextPageToken: next };
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
