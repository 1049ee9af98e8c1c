// WeCom's customer tags (企业客户标签, https://developer.work.weixin.qq.com/document/path/92117 管理企业标签,
// /92118 编辑客户企业标签 mark_tag): tag groups of tags with string ids, editable only by the application that
// created them; mark_tag puts them on a member's customer (follow_user.tags, type 1).
import type { CorpAdmin } from './corp-admin';
import { E } from './errors';
import { str, type Answer, type Params, type Route } from './route';

export type CorpTag = { id: string; name: string; create_time: number; order: number };
export type CorpTagGroup = {
  group_id: string;
  group_name: string;
  create_time: number;
  order: number;
  tag: CorpTag[];
};

/** Who created a tag or group: this sandbox's application (via the API) or the admin console (seeded). */
type Creator = 'app' | 'console';

export class CorpTagState {
  readonly groups: CorpTagGroup[] = [];
  private readonly creator = new Map<string, Creator>();
  private next = 1;
  now: () => number = () => Math.floor(Date.now() / 1000);

  private id(): string {
    // WeCom's ids are opaque strings starting with "et".
    return `et${(this.next++).toString(36).padStart(8, '0')}`;
  }

  group(id: string): CorpTagGroup | undefined {
    return this.groups.find((g) => g.group_id === id);
  }

  tag(id: string): { group: CorpTagGroup; tag: CorpTag } | undefined {
    for (const group of this.groups) {
      const tag = group.tag.find((t) => t.id === id);
      if (tag) return { group, tag };
    }
    return undefined;
  }

  createdByApp(id: string): boolean {
    return this.creator.get(id) === 'app';
  }

  /** Adds tags to the group (created when new); returns the group holding only the tags just added. */
  add(
    target: { group?: CorpTagGroup; name?: string; order?: number },
    tags: { name: string; order?: number }[],
    by: Creator,
  ): CorpTagGroup {
    const now = this.now();
    let group = target.group ?? this.groups.find((g) => g.group_name === target.name);
    if (!group) {
      group = {
        group_id: this.id(),
        group_name: target.name ?? '',
        create_time: now,
        order: target.order ?? 0,
        tag: [],
      };
      this.groups.push(group);
      this.creator.set(group.group_id, by);
    }
    const added: CorpTag[] = [];
    for (const t of tags) {
      if (group.tag.some((x) => x.name === t.name) || added.some((x) => x.name === t.name))
        throw E.tagNameExists(t.name);
      added.push({ id: this.id(), name: t.name, create_time: now, order: t.order ?? 0 });
    }
    group.tag.push(...added);
    for (const t of added) this.creator.set(t.id, by);
    return { ...structuredClone(group), tag: structuredClone(added) };
  }

  /** Deletes tags and groups; a group left without tags goes too (WeCom deletes an empty tag group). */
  remove(tagIds: string[], groupIds: string[]): string[] {
    const gone = new Set<string>();
    for (const id of groupIds) {
      const group = this.group(id);
      if (group) for (const t of group.tag) gone.add(t.id);
    }
    for (const id of tagIds) gone.add(id);
    for (const group of this.groups) group.tag = group.tag.filter((t) => !gone.has(t.id));
    for (let i = this.groups.length - 1; i >= 0; i--)
      if (groupIds.includes(this.groups[i]!.group_id) || !this.groups[i]!.tag.length)
        this.groups.splice(i, 1);
    return [...gone];
  }

  clear(): void {
    this.groups.length = 0;
    this.creator.clear();
  }
}

const TAG_NAME_MAX = 30;
function tagName(value: unknown, field: string): string {
  const text = str(value) ?? '';
  if (!text || [...text].length > TAG_NAME_MAX)
    throw E.invalidParam(`${field} must be 1..${TAG_NAME_MAX} characters`);
  return text;
}
function ids(value: unknown, field: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw E.invalidParam(`${field} must be an array`);
  return value.map(String);
}
const orderOf = (value: unknown): number | undefined => (value === undefined ? undefined : Number(value));

const route = (handle: (corp: CorpAdmin, s: CorpTagState, p: Params) => Answer): Route => ({
  method: 'POST',
  auth: true,
  handle: (corp, p) => handle(corp, corp.corpTags, p),
});

export const CORP_TAG_ROUTES: Record<string, Route> = {
  '/cgi-bin/externalcontact/get_corp_tag_list': route((_, s, p) => {
    const groupIds = ids(p['group_id'], 'group_id');
    const tagIds = ids(p['tag_id'], 'tag_id');
    // 同时传递tag_id和group_id时,忽略tag_id,仅以group_id作为过滤条件
    if (groupIds.length)
      return { tag_group: structuredClone(s.groups.filter((g) => groupIds.includes(g.group_id))) };
    if (tagIds.length)
      return {
        tag_group: s.groups
          .map((g) => ({
            ...structuredClone(g),
            tag: structuredClone(g.tag.filter((t) => tagIds.includes(t.id))),
          }))
          .filter((g) => g.tag.length),
      };
    return { tag_group: structuredClone(s.groups) };
  }),
  '/cgi-bin/externalcontact/add_corp_tag': route((_, s, p) => {
    const list = p['tag'];
    if (!Array.isArray(list) || !list.length) throw E.invalidParam('tag must hold at least one tag');
    const tags = list.map((t: Record<string, unknown>) => ({
      name: tagName(t?.['name'], 'tag.name'),
      order: orderOf(t?.['order']),
    }));
    const groupId = str(p['group_id']);
    if (groupId) {
      const group = s.group(groupId);
      if (!group) throw E.invalidTagId(groupId);
      if (!s.createdByApp(groupId)) throw E.notCreator(groupId);
      return { tag_group: s.add({ group }, tags, 'app') };
    }
    const name = tagName(p['group_name'], 'group_name');
    const existing = s.groups.find((g) => g.group_name === name);
    if (existing && !s.createdByApp(existing.group_id)) throw E.notCreator(existing.group_id);
    return { tag_group: s.add({ name, order: orderOf(p['order']) }, tags, 'app') };
  }),
  '/cgi-bin/externalcontact/edit_corp_tag': route((corp, s, p) => {
    const id = str(p['id']) ?? '';
    const group = s.group(id);
    const found = group ? undefined : s.tag(id);
    if (!group && !found) throw E.invalidTagId(id);
    if (!s.createdByApp(id)) throw E.notCreator(id);
    const name = p['name'] === undefined ? undefined : tagName(p['name'], 'name');
    if (group) {
      if (name !== undefined && s.groups.some((g) => g !== group && g.group_name === name))
        throw E.tagNameExists(name);
      if (name !== undefined) group.group_name = name;
      if (p['order'] !== undefined) group.order = Number(p['order']);
    } else if (found) {
      if (name !== undefined && found.group.tag.some((t) => t !== found.tag && t.name === name))
        throw E.tagNameExists(name);
      if (name !== undefined) found.tag.name = name;
      if (p['order'] !== undefined) found.tag.order = Number(p['order']);
      corp.renameMarkedTag(found.tag.id, found.tag.name, found.group.group_name);
    }
    if (group) for (const t of group.tag) corp.renameMarkedTag(t.id, t.name, group.group_name);
    return {};
  }),
  '/cgi-bin/externalcontact/del_corp_tag': route((corp, s, p) => {
    const tagIds = ids(p['tag_id'], 'tag_id');
    const groupIds = ids(p['group_id'], 'group_id');
    if (!tagIds.length && !groupIds.length) throw E.invalidParam('tag_id or group_id is required');
    for (const id of groupIds) {
      if (!s.group(id)) throw E.invalidTagId(id);
      if (!s.createdByApp(id)) throw E.notCreator(id);
    }
    for (const id of tagIds) {
      if (!s.tag(id)) throw E.invalidTagId(id);
      if (!s.createdByApp(id)) throw E.notCreator(id);
    }
    corp.unmarkTags(s.remove(tagIds, groupIds));
    return {};
  }),
  '/cgi-bin/externalcontact/mark_tag': route((corp, s, p) => {
    const userid = str(p['userid']) ?? '';
    const externalUserId = str(p['external_userid']) ?? '';
    const add = ids(p['add_tag'], 'add_tag');
    const remove = ids(p['remove_tag'], 'remove_tag');
    if (!add.length && !remove.length) throw E.invalidParam('add_tag or remove_tag is required');
    if (!corp.state.users.has(userid)) throw E.noUser(userid);
    const follow = corp.state.externalContacts
      .get(externalUserId)
      ?.follow_user.find((f) => f.userid === userid);
    if (!follow) throw E.noRelation(externalUserId);
    for (const id of [...add, ...remove]) if (!s.tag(id)) throw E.invalidTagId(id);
    follow.tags = follow.tags.filter((t) => !t.tag_id || !remove.includes(t.tag_id));
    for (const id of add) {
      const { group, tag } = s.tag(id)!;
      if (!follow.tags.some((t) => t.tag_id === id))
        follow.tags.push({ group_name: group.group_name, tag_name: tag.name, type: 1, tag_id: id });
    }
    corp.state.touch();
    return {};
  }),
};
