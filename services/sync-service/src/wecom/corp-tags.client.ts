// WeCom customer tags (企业客户标签), for the "customer tags → WeCom customer tags" channel:
// https://developer.work.weixin.qq.com/document/path/92117 (get_corp_tag_list, add_corp_tag, edit_corp_tag,
// del_corp_tag) and /92118 (mark_tag). Calls go through WeComClient (token cache, refresh, backoff, budget).
import { WeComApiError, type WeComClient } from './wecom.client';

export type CorpTag = { id: string; name: string; order: number };
export type CorpTagGroup = { groupId: string; groupName: string; order: number; tags: CorpTag[] };

/** errcodes this API answers that a caller may want to tell apart (all others are WeComApiError too). */
export const CORP_TAG_ERR = {
  /** 不合法的标签ID: an unknown tag or group id (deleted meanwhile, or never existed). */
  unknownTag: 40068,
  /** The tag name already exists in that group (or the group name among groups). */
  nameTaken: 40071,
  /** 应用仅能编辑和删除本应用创建的标签: made in the admin console or by another application. */
  notCreator: 81011,
  /** The member does not follow that customer. */
  notFollower: 84061,
} as const;

type TagGroupJson = {
  group_id: string;
  group_name: string;
  order?: number;
  tag?: { id: string; name: string; order?: number }[];
};
const fromJson = (g: TagGroupJson): CorpTagGroup => ({
  groupId: g.group_id,
  groupName: g.group_name,
  order: g.order ?? 0,
  tags: (g.tag ?? []).map((t) => ({ id: t.id, name: t.name, order: t.order ?? 0 })),
});

/**
 * The corp's customer tag library and the tags on one member's customer. WeCom ids are opaque strings;
 * names are unique within a group (tags) and among groups (groups). Only the application that created a
 * tag may edit or delete it (81011), so the channel should create the tags it manages itself.
 */
export class WeComCorpTagsClient {
  constructor(private readonly wecom: WeComClient) {}

  /** The library: every group, or only the given groups / tags (group ids win when both are given). */
  async list(filter: { groupIds?: string[]; tagIds?: string[] } = {}): Promise<CorpTagGroup[]> {
    const answer = await this.wecom.post<{ tag_group: TagGroupJson[] }>(
      '/cgi-bin/externalcontact/get_corp_tag_list',
      {
        ...(filter.tagIds?.length ? { tag_id: filter.tagIds } : {}),
        ...(filter.groupIds?.length ? { group_id: filter.groupIds } : {}),
      },
    );
    return answer.tag_group.map(fromJson);
  }

  /**
   * Adds tags to a group, named (created when no group has that name) or by id. Answers the group with
   * only the tags just added, carrying their new ids.
   */
  async addTags(
    group: { groupName: string; order?: number } | { groupId: string },
    tags: { name: string; order?: number }[],
  ): Promise<CorpTagGroup> {
    const answer = await this.wecom.post<{ tag_group: TagGroupJson }>(
      '/cgi-bin/externalcontact/add_corp_tag',
      {
        ...('groupId' in group
          ? { group_id: group.groupId }
          : { group_name: group.groupName, ...(group.order !== undefined ? { order: group.order } : {}) }),
        tag: tags.map((t) => ({ name: t.name, ...(t.order !== undefined ? { order: t.order } : {}) })),
      },
    );
    return fromJson(answer.tag_group);
  }

  /**
   * The id of the tag `tagName` in group `groupName`, created (with the group if need be) when absent:
   * idempotent, so a replayed change neither fails nor creates a second tag.
   */
  async ensureTag(groupName: string, tagName: string): Promise<string> {
    const existing = (await this.list())
      .find((g) => g.groupName === groupName)
      ?.tags.find((t) => t.name === tagName);
    if (existing) return existing.id;
    try {
      const [created] = (await this.addTags({ groupName }, [{ name: tagName }])).tags;
      return created!.id;
    } catch (error) {
      // Someone created it between our read and our add: read again.
      if (!(error instanceof WeComApiError) || error.errcode !== CORP_TAG_ERR.nameTaken) throw error;
      const raced = (await this.list())
        .find((g) => g.groupName === groupName)
        ?.tags.find((t) => t.name === tagName);
      if (!raced) throw error;
      return raced.id;
    }
  }

  /** Renames (or reorders) a tag or a group, by its id. */
  async edit(id: string, change: { name?: string; order?: number }): Promise<void> {
    await this.wecom.post('/cgi-bin/externalcontact/edit_corp_tag', { id, ...change });
  }

  /** Deletes tags and whole groups; WeCom deletes a group left without tags. Tags leave every customer. */
  async remove(ids: { tagIds?: string[]; groupIds?: string[] }): Promise<void> {
    await this.wecom.post('/cgi-bin/externalcontact/del_corp_tag', {
      ...(ids.tagIds?.length ? { tag_id: ids.tagIds } : {}),
      ...(ids.groupIds?.length ? { group_id: ids.groupIds } : {}),
    });
  }

  /**
   * Every (member, customer) follow relation with the corp tag ids on it, as WeCom has them: the members
   * from user/list_id, their customers from batch/get_by_user (100 members a call, paged). For drift
   * detection: WeCom has no "customers carrying tag X" listing.
   */
  async *marks(): AsyncIterable<{ userid: string; externalUserId: string; tagIds: string[] }> {
    const userids = new Set<string>();
    let cursor = '';
    do {
      const page = await this.wecom.post<{ dept_user?: { userid: string }[]; next_cursor?: string }>(
        '/cgi-bin/user/list_id',
        { cursor, limit: 10_000 },
      );
      for (const u of page.dept_user ?? []) userids.add(u.userid);
      cursor = page.next_cursor ?? '';
    } while (cursor);
    const all = [...userids];
    for (let i = 0; i < all.length; i += 100) {
      cursor = '';
      do {
        const page = await this.wecom.post<{
          external_contact_list: {
            external_contact: { external_userid: string };
            follow_info: { userid: string; tag_id?: string[] };
          }[];
          next_cursor?: string;
        }>('/cgi-bin/externalcontact/batch/get_by_user', {
          userid_list: all.slice(i, i + 100),
          cursor,
          limit: 100,
        });
        for (const r of page.external_contact_list)
          yield {
            userid: r.follow_info.userid,
            externalUserId: r.external_contact.external_userid,
            tagIds: r.follow_info.tag_id ?? [],
          };
        cursor = page.next_cursor ?? '';
      } while (cursor);
    }
  }

  /**
   * Puts tags on / takes tags off the customer `externalUserId` as followed by member `userid`
   * (each member sees their own customer's tags). A no-op when both lists are empty.
   */
  async mark(
    userid: string,
    externalUserId: string,
    change: { add?: string[]; remove?: string[] },
  ): Promise<void> {
    if (!change.add?.length && !change.remove?.length) return;
    await this.wecom.post('/cgi-bin/externalcontact/mark_tag', {
      userid,
      external_userid: externalUserId,
      ...(change.add?.length ? { add_tag: change.add } : {}),
      ...(change.remove?.length ? { remove_tag: change.remove } : {}),
    });
  }
}
