import { Controller, Inject } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import { tagMemberV1 } from '@tagguard/contracts';
import { DataSource } from 'typeorm';
import { TagCommands, type MembersResult } from '../commands/tag-commands';
import type { MemberKind } from '../domain/tag-catalog.events';
import { TagError } from '../domain/tag.errors';
import { DirectoryCopy } from '../directory-copy/directory-copy';
import { membershipFlag } from '../directory-copy/domain/member-checks.decider';
import {
  caller,
  consistent,
  decodeCursor,
  page,
  pageSizeField,
  readerFor,
  revisionField,
  uuidField,
  TAG_EDGE,
  type EdgeDeps,
} from '../edge';
import { TagMemberView, TagNodeView } from '../projections/catalog-view/catalog-view.entities';
import { memberKindToWire, membersField, toApproval } from '../wire';

const OUTCOMES: Record<string, tagMemberV1.ItemOutcome> = {
  ok: tagMemberV1.ItemOutcome.ITEM_OUTCOME_OK,
  already_present: tagMemberV1.ItemOutcome.ITEM_OUTCOME_ALREADY_PRESENT,
  not_found: tagMemberV1.ItemOutcome.ITEM_OUTCOME_NOT_FOUND,
  not_allowed: tagMemberV1.ItemOutcome.ITEM_OUTCOME_NOT_ALLOWED,
  invalid: tagMemberV1.ItemOutcome.ITEM_OUTCOME_INVALID,
};

/** tagguard.tag.v1.TagMemberService: who carries a tag; batches answer per item. */
@Controller()
@tagMemberV1.TagMemberServiceControllerMethods()
export class MembersGrpcController implements tagMemberV1.TagMemberServiceController {
  constructor(
    @Inject(TagCommands) private readonly commands: TagCommands,
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(TAG_EDGE) private readonly edge: EdgeDeps,
    @Inject(DirectoryCopy) private readonly directory: DirectoryCopy,
  ) {}

  async addMembers(
    request: tagMemberV1.AddMembersRequest,
    metadata?: Metadata,
  ): Promise<tagMemberV1.AddMembersResponse> {
    return { result: await this.change('add_members', request, metadata) };
  }

  async removeMembers(
    request: tagMemberV1.RemoveMembersRequest,
    metadata?: Metadata,
  ): Promise<tagMemberV1.RemoveMembersResponse> {
    return { result: await this.change('remove_members', request, metadata) };
  }

  async listMembers(
    request: tagMemberV1.ListMembersRequest,
    metadata?: Metadata,
  ): Promise<tagMemberV1.ListMembersResponse> {
    const context = await caller(this.edge, metadata, 'members.read');
    const tenantId = context.principal.tenantId;
    const tagId = uuidField(request.tagId, 'tag_id');
    const pageSize = pageSizeField(request.pageSize, 200, 1_000);
    const after = decodeCursor(request.pageToken, ['text', 'text']);
    await consistent(this.edge, request.consistencyToken, context);
    // Existence from the catalogue itself: a tag created a moment ago is never NOT_FOUND here.
    const tag = (await this.commands.catalog(tenantId)).state.nodes.get(tagId);
    // The members of a tag the caller may not see are never listed: the tag is answered as absent.
    if (!tag || tag.status === 'purged' || !(await readerFor(this.edge, context)).see(tagId))
      throw new TagError('TAG.NOT_FOUND', `tag ${tagId} not found`, 'tag_id');
    // Keyset paging on the primary key: a page never shifts when members are added or removed meanwhile.
    const rows = await this.db
      .getRepository(TagMemberView)
      .createQueryBuilder('m')
      .where('m.tenant_id = :tenantId AND m.tag_id = :tagId', { tenantId, tagId })
      .andWhere('(m.member_kind, m.member_id) > (:kind, :id)', {
        kind: after?.[0] ?? '',
        id: after?.[1] ?? '',
      })
      .orderBy('m.member_kind', 'ASC')
      .addOrderBy('m.member_id', 'ASC')
      .limit(pageSize + 1)
      .getMany();
    const { items, next } = page(rows, pageSize, (r) => [r.memberKind, r.memberId]);
    const refs = items.map((m) => ({ kind: m.memberKind as MemberKind, id: m.memberId }));
    // Flagged from the local copy at read time: always as current as the copy itself.
    const facts = await this.directory.facts(tenantId, refs);
    return {
      members: items.map((m, i) => ({
        kind: memberKindToWire(m.memberKind),
        id: m.memberId,
        addedBy: m.addedBy,
        addedAt: m.addedAt.toISOString(),
        directoryFlag: membershipFlag(refs[i]!, facts),
      })),
      nextPageToken: next,
      total:
        (await this.db.getRepository(TagNodeView).findOneBy({ tenantId, nodeId: tagId }))?.memberCount ?? 0,
    };
  }

  private async change(
    change: 'add_members' | 'remove_members',
    request: tagMemberV1.AddMembersRequest,
    metadata: Metadata | undefined,
  ): Promise<tagMemberV1.MembersWriteResult> {
    const context = await caller(this.edge, metadata, 'members.write', request.idempotencyKey, () => ({
      tagId: uuidField(request.tagId, 'tag_id'),
    }));
    const tagId = uuidField(request.tagId, 'tag_id');
    const expectedRevision = revisionField(request.expectedRevision);
    const { refs, attributes } = membersField(request.members);
    const result = await this.commands.onMembers(context, {
      change,
      tagId,
      members: refs,
      ...(change === 'add_members' && Object.keys(attributes).length ? { attributes } : {}),
      ...(expectedRevision !== undefined ? { expectedRevision } : {}),
    });
    return toMembersResult(result);
  }
}

function toMembersResult(result: MembersResult): tagMemberV1.MembersWriteResult {
  return {
    tagId: result.tagId,
    items: result.results.map((r) => ({
      kind: memberKindToWire(r.member.kind),
      id: r.member.id,
      outcome: r.pendingApproval
        ? tagMemberV1.ItemOutcome.ITEM_OUTCOME_PENDING_APPROVAL
        : OUTCOMES[r.outcome]!,
      reason: r.reason ?? '',
    })),
    membersRevision: String(result.membersRevision),
    consistencyToken: result.consistencyToken,
    pendingApproval: result.approval ? toApproval(result.approval) : undefined,
  };
}
