import { Controller, Inject } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import { authenticate, type Principal, TokenVerifier } from '@tagguard/auth';
import { tagV1 } from '@tagguard/contracts';
import { positionFromToken } from '@tagguard/event-store';
import { currentTraceHeaders } from '@tagguard/telemetry';
import { DataSource } from 'typeorm';
import { TagCommandHandler, type CommandContext, type WriteResult } from './commands/tag-command.handler';
import { TagError } from './domain/tag.errors';
import type { TagKind } from './domain/tag.events';
import { TagView } from './projections/tag-view/tag-view.entity';
import { TagViewProjection } from './projections/tag-view/tag-view.projection';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CONSISTENCY_WAIT_MS = 5_000;

/** tagguard.tag.v1.TagService: validates and authenticates at the edge, then hands over to the handler. */
@Controller()
@tagV1.TagServiceControllerMethods()
export class TagsGrpcController implements tagV1.TagServiceController {
  constructor(
    @Inject(TagCommandHandler) private readonly handler: TagCommandHandler,
    @Inject(TagViewProjection) private readonly projection: TagViewProjection,
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(TokenVerifier) private readonly verifier: TokenVerifier,
  ) {}

  async createTag(request: tagV1.CreateTagRequest, metadata?: Metadata): Promise<tagV1.CreateTagResponse> {
    const principal = this.principal(metadata);
    const tagId = uuidField(request.tagId, 'tag_id');
    const kind = kindField(request.kind);
    const result = await this.handler.handle(
      { type: 'CreateTag', data: { tenantId: principal.tenantId, tagId, name: request.name, kind } },
      this.context(principal),
    );
    return { result: toWire(result) };
  }

  async renameTag(request: tagV1.RenameTagRequest, metadata?: Metadata): Promise<tagV1.RenameTagResponse> {
    const principal = this.principal(metadata);
    const tagId = uuidField(request.tagId, 'tag_id');
    const result = await this.handler.handle(
      { type: 'RenameTag', data: { tagId, name: request.name } },
      this.context(principal),
      revisionField(request.expectedRevision),
    );
    return { result: toWire(result) };
  }

  async deleteTag(request: tagV1.DeleteTagRequest, metadata?: Metadata): Promise<tagV1.DeleteTagResponse> {
    const principal = this.principal(metadata);
    const tagId = uuidField(request.tagId, 'tag_id');
    const result = await this.handler.handle(
      { type: 'DeleteTag', data: { tagId } },
      this.context(principal),
      revisionField(request.expectedRevision),
    );
    return { result: toWire(result) };
  }

  async getTag(request: tagV1.GetTagRequest, metadata?: Metadata): Promise<tagV1.GetTagResponse> {
    const principal = this.principal(metadata);
    const tagId = uuidField(request.tagId, 'tag_id');
    await this.consistent(request.consistencyToken);
    const row = await this.db.getRepository(TagView).findOneBy({ tenantId: principal.tenantId, tagId });
    if (!row) throw new TagError('TAG.NOT_FOUND', `tag ${tagId} not found`, 'tag_id');
    return { tag: toTag(row) };
  }

  async listTags(request: tagV1.ListTagsRequest, metadata?: Metadata): Promise<tagV1.ListTagsResponse> {
    const principal = this.principal(metadata);
    const pageSize = request.pageSize === 0 ? 100 : request.pageSize;
    if (pageSize < 1 || pageSize > 500)
      throw new TagError('TAG.INVALID_ARGUMENT', 'must be between 0 and 500', 'page_size');
    const after = request.pageToken ? pageTokenField(request.pageToken) : '';
    await this.consistent(request.consistencyToken);
    const rows = await this.db
      .getRepository(TagView)
      .createQueryBuilder('t')
      .where('t.tenant_id = :tenant AND t.tag_id > :after', { tenant: principal.tenantId, after })
      .orderBy('t.tag_id', 'ASC')
      .limit(pageSize + 1)
      .getMany();
    const page = rows.slice(0, pageSize);
    return {
      tags: page.map(toTag),
      nextPageToken:
        rows.length > pageSize ? Buffer.from(page[page.length - 1]!.tagId).toString('base64url') : '',
    };
  }

  private context(principal: Principal): CommandContext {
    return { principal, ...currentTraceHeaders() };
  }

  private principal(metadata: Metadata | undefined): Principal {
    return authenticate(metadata, this.verifier);
  }

  private async consistent(token: string): Promise<void> {
    if (!token) return;
    const position = positionFromToken(token);
    if (!position)
      throw new TagError('TAG.INVALID_ARGUMENT', 'is not a token returned by a write', 'consistency_token');
    await this.projection.waitFor(position, CONSISTENCY_WAIT_MS);
  }
}

function uuidField(value: string, field: string): string {
  if (!UUID.test(value)) throw new TagError('TAG.INVALID_ARGUMENT', 'must be a UUID', field);
  return value.toLowerCase();
}

function revisionField(value: string): bigint {
  if (!/^\d{1,18}$/.test(value))
    throw new TagError('TAG.INVALID_ARGUMENT', 'must be a non-negative revision', 'expected_revision');
  return BigInt(value);
}

function kindField(kind: tagV1.TagKind): TagKind {
  if (kind === tagV1.TagKind.TAG_KIND_MEMBER) return 'member';
  if (kind === tagV1.TagKind.TAG_KIND_CUSTOMER) return 'customer';
  throw new TagError('TAG.INVALID_ARGUMENT', 'must be TAG_KIND_MEMBER or TAG_KIND_CUSTOMER', 'kind');
}

function pageTokenField(token: string): string {
  const tagId = Buffer.from(token, 'base64url').toString();
  if (!UUID.test(tagId))
    throw new TagError('TAG.INVALID_ARGUMENT', 'is not a token returned by ListTags', 'page_token');
  return tagId;
}

function toWire(result: WriteResult): tagV1.WriteResult {
  return {
    tagId: result.tagId,
    revision: String(result.revision),
    consistencyToken: result.consistencyToken,
  };
}

function toTag(row: TagView): tagV1.Tag {
  return {
    tagId: row.tagId,
    name: row.name,
    kind: row.kind === 'member' ? tagV1.TagKind.TAG_KIND_MEMBER : tagV1.TagKind.TAG_KIND_CUSTOMER,
    revision: row.revision,
    deleted: row.deleted,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
