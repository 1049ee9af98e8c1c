import { KeyedTurns } from '@tagguard/concurrency';
import { CORP_TAG_ERR, type WeComCorpTagsClient } from '../../wecom/corp-tags.client';
import { WeComApiError } from '../../wecom/wecom.client';
import type { ExmailKeyStore } from '../exmail/exmail-keys';
import {
  DownstreamRejectedError,
  DownstreamUnavailableError,
  type DownstreamAccount,
  type DownstreamDirectory,
  type DownstreamGroup,
} from '../port/downstream-directory.port';

/** The fixed corp tag group every TagGuard customer tag lives in (D74): this application creates it, so it may edit it (81011). */
export const CORP_TAG_GROUP = 'TagGuard';

/** The group id drift gives a corp tag in CORP_TAG_GROUP that no TagGuard tag maps to (an extra group). */
export const UNMAPPED_CORP_TAG = 'wecom:';

/** A member of a customer tag's "group": `<follower userid>/<external_userid>` (mark_tag needs both, D74). */
export const corpTagMember = (followerId: string, externalUserId: string) =>
  `${followerId}/${externalUserId}`;

/**
 * The customer tags → WeCom corp tags channel's side of the port (D74): a "group" is one customer tag
 * (groupId = the tag id, displayName = its name), made a corp tag in the group CORP_TAG_GROUP; its members
 * are customers, each marked by one follower. WeCom lists no "customers carrying a tag" cheaply, so the
 * connector keeps tag id → corp tag id and the marks it made in PostgreSQL (the key store of D53): an
 * upsert marks the members not marked yet and unmarks the ones no longer wanted. There are no accounts.
 */
export class CorpTagsDirectory implements DownstreamDirectory {
  readonly kind = 'wecom-corp-tags';

  constructor(
    private readonly tags: WeComCorpTagsClient,
    private readonly keys: ExmailKeyStore,
    /** The channel (`<tenant>/<channel id>`): its corp tag writes take turns in this process (D121). */
    private readonly scope = 'corp-tags',
  ) {}

  upsertAccount(_account: DownstreamAccount): Promise<void> {
    return Promise.reject(new DownstreamRejectedError(this.kind, 'invalid', 'corp tags have no accounts'));
  }

  setAccountActive(_employeeId: string, _active: boolean): Promise<void> {
    return this.upsertAccount({} as DownstreamAccount);
  }

  async upsertGroup(group: DownstreamGroup): Promise<void> {
    // The applier runs different tags' changes at once; the name check in corpTagOf and the mapping written
    // after it must not interleave with another tag's, or two tags of one name both take (or both leave)
    // one corp tag.
    await turns.run(this.scope, () => this.upsertGroupNow(group));
  }

  private async upsertGroupNow(group: DownstreamGroup): Promise<void> {
    await this.call(async () => {
      const { corpTagId, owners } = await this.corpTagOf(group);
      const known = await this.keys.get('group', group.groupId);
      if (known && known !== corpTagId) {
        // Renamed: the new name is a new corp tag; the old one goes (and leaves its customers), unless
        // another TagGuard tag maps to it too (shared before D121: that tag keeps it, without ours).
        await this.leaveCorpTag(group.groupId, known, owners);
        for (const m of await this.marks(group.groupId)) await this.keys.delete('account', m.key);
      }
      await this.keys.put('group', group.groupId, corpTagId);
      // The TagGuard name the corp tag was named for: a cut name is read back as it (drift compares names).
      await this.keys.put('name', group.groupId, group.displayName);
      const marked = new Set((await this.marks(group.groupId)).map((m) => m.address));
      const wanted = new Set(group.memberEmployeeIds);
      for (const member of wanted) {
        if (marked.has(member)) continue;
        const [followerId, externalUserId] = split(member);
        await this.tags.mark(followerId, externalUserId, { add: [corpTagId] });
        await this.keys.put('account', `${group.groupId}|${member}`, member);
      }
      for (const member of marked) {
        if (wanted.has(member)) continue;
        await this.unmark(member, corpTagId);
        await this.keys.delete('account', `${group.groupId}|${member}`);
      }
    });
  }

  async removeGroup(groupId: string): Promise<void> {
    await turns.run(this.scope, () => this.removeGroupNow(groupId));
  }

  private async removeGroupNow(groupId: string): Promise<void> {
    await this.call(async () => {
      if (groupId.startsWith(UNMAPPED_CORP_TAG))
        return this.removeCorpTag(groupId.slice(UNMAPPED_CORP_TAG.length));
      const corpTagId = await this.keys.get('group', groupId);
      if (corpTagId) await this.leaveCorpTag(groupId, corpTagId, await this.keys.list('group'));
      for (const m of await this.marks(groupId)) await this.keys.delete('account', m.key);
      await this.keys.delete('group', groupId);
      await this.keys.delete('name', groupId);
    });
  }

  // eslint-disable-next-line require-yield
  async *listAccounts(): AsyncIterable<DownstreamAccount> {
    return;
  }

  /**
   * The corp tags of CORP_TAG_GROUP as WeCom has them (D77): the library, and the marks read from every
   * member's customers (WeCom's truth, not the connector's record). A corp tag no TagGuard tag maps to is a
   * group `wecom:<corp tag id>`. What was seen becomes the connector's record of its marks, so the upsert
   * that repairs drift unmarks an extra mark and marks a missing one.
   */
  async *listGroups(): AsyncIterable<DownstreamGroup> {
    const groups = await this.call(async () => {
      const library = (await this.tags.list())
        .filter((g) => g.groupName === CORP_TAG_GROUP)
        .flatMap((g) => g.tags);
      const tagOf = new Map((await this.keys.list('group')).map((g) => [g.address, g.key]));
      const namedFor = new Map((await this.keys.list('name')).map((n) => [n.key, n.address]));
      const members = new Map<string, string[]>(library.map((t) => [t.id, []]));
      for await (const m of this.tags.marks())
        for (const id of m.tagIds) members.get(id)?.push(corpTagMember(m.userid, m.externalUserId));
      // The recorded marks by tag, read once (a filter per corp tag was tags × marks on every drift check).
      const recorded = new Map<string, { key: string; address: string }[]>();
      for (const r of await this.keys.list('account')) {
        // `<tag id>|<follower>/<external_userid>`: neither a tag id (a UUID) nor a WeCom id holds '|'.
        const tagId = r.key.slice(0, r.key.lastIndexOf('|'));
        const marks = recorded.get(tagId);
        if (marks) marks.push(r);
        else recorded.set(tagId, [r]);
      }
      for (const t of library) {
        const tagId = tagOf.get(t.id);
        if (tagId === undefined) continue;
        const seen = new Set(members.get(t.id));
        const had = new Set<string>();
        for (const r of recorded.get(tagId) ?? [])
          if (seen.has(r.address)) had.add(r.address);
          else await this.keys.delete('account', r.key);
        for (const member of seen)
          if (!had.has(member)) await this.keys.put('account', `${tagId}|${member}`, member);
      }
      return library.map((t) => ({
        groupId: tagOf.get(t.id) ?? `${UNMAPPED_CORP_TAG}${t.id}`,
        displayName: nameOf(t.name, tagOf.get(t.id), namedFor),
        email: '',
        memberEmployeeIds: [...new Set(members.get(t.id))].sort(),
      }));
    });
    yield* groups;
  }

  async close(): Promise<void> {
    // Nothing of its own: the WeCom client holds no connection and the key store's pool is the process's.
  }

  /**
   * The corp tag of one TagGuard tag, by its name. Names are unique within a WeCom group, TagGuard's only
   * within a parent: a corp tag of that name mapped to another TagGuard tag is not shared (its customers'
   * marks would merge, and one tag's removal would unmark the other's), this tag gets `<name> ·<id>` (D121).
   */
  private async corpTagOf(group: DownstreamGroup) {
    const own = corpTagName(group.displayName, group.groupId, false);
    const byName = await this.tags.ensureTag(CORP_TAG_GROUP, own);
    const owners = await this.keys.list('group');
    const taken = owners.some((o) => o.address === byName && o.key !== group.groupId);
    const disambiguated = corpTagName(group.displayName, group.groupId, true);
    const corpTagId =
      taken && disambiguated !== own ? await this.tags.ensureTag(CORP_TAG_GROUP, disambiguated) : byName;
    return { corpTagId, owners };
  }

  /**
   * A TagGuard tag lets go of its corp tag: deleted (WeCom unmarks its customers) unless another tag maps to
   * it too (shared before D121); then only this tag's own customers are unmarked, not the other's.
   */
  private async leaveCorpTag(tagId: string, corpTagId: string, owners: { key: string; address: string }[]) {
    const others = owners.filter((o) => o.address === corpTagId && o.key !== tagId).map((o) => o.key);
    if (others.length === 0) return this.removeCorpTag(corpTagId);
    const kept = new Set<string>();
    for (const other of others) for (const m of await this.marks(other)) kept.add(m.address);
    for (const m of await this.marks(tagId))
      if (!kept.has(m.address)) await this.unmark(m.address, corpTagId);
  }

  private async unmark(member: string, corpTagId: string): Promise<void> {
    const [followerId, externalUserId] = split(member);
    await this.tags.mark(followerId, externalUserId, { remove: [corpTagId] }).catch((error: unknown) => {
      // The customer or the follow relation is gone: nothing left to unmark.
      if (!(error instanceof WeComApiError) || error.errcode !== CORP_TAG_ERR.notFollower) throw error;
    });
  }

  private async marks(tagId: string) {
    return this.keys.list('account', `${tagId}|`);
  }

  private async removeCorpTag(corpTagId: string): Promise<void> {
    await this.tags.remove({ tagIds: [corpTagId] }).catch((error: unknown) => {
      if (!(error instanceof WeComApiError) || error.errcode !== CORP_TAG_ERR.unknownTag) throw error;
    });
  }

  /**
   * WeCom's refusals are rejections; "busy / no answer" (-1: also connection refused, timeouts, 5xx, after
   * the client's own retries) and the frequency limit (45009) mean unreachable: the change waits, in order.
   */
  private async call<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof DownstreamRejectedError) throw error;
      if (error instanceof WeComApiError && !UNREACHABLE.has(error.errcode))
        throw new DownstreamRejectedError(this.kind, 'other', error.message);
      throw new DownstreamUnavailableError(this.kind, String(error), error);
    }
  }
}

const UNREACHABLE = new Set([-1, 45009]);

/** Each channel's corp tag writes in this process, one after the other. */
const turns = new KeyedTurns();

/** WeCom's limit on a corp tag's name, in characters (the sandbox enforces it as documented). */
export const CORP_TAG_NAME_MAX = 30;

const idSuffix = (tagId: string) => ` ·${tagId.slice(0, 8)}`;

/**
 * The corp tag name of a TagGuard tag: its own name when it fits and no other mapped tag holds it
 * (`disambiguate` false); else `<name> ·<id prefix>` (D121), the name cut to fit WeCom's limit (TagGuard
 * allows longer names; a cut name always carries the id, so two names cut alike stay apart).
 */
export function corpTagName(name: string, tagId: string, disambiguate: boolean): string {
  const chars = [...name];
  if (!disambiguate && chars.length <= CORP_TAG_NAME_MAX) return name;
  const suffix = idSuffix(tagId);
  return chars.slice(0, CORP_TAG_NAME_MAX - [...suffix].length).join('') + suffix;
}

/**
 * The TagGuard name behind a corp tag's name: the name it was written for when it still reads as that
 * name's corp tag name; else without the suffix `corpTagName` gave it (a name renamed in WeCom reads as is).
 */
function nameOf(corpName: string, tagId: string | undefined, namedFor: ReadonlyMap<string, string>): string {
  if (tagId === undefined) return corpName;
  const recorded = namedFor.get(tagId);
  if (
    recorded !== undefined &&
    (corpName === corpTagName(recorded, tagId, false) || corpName === corpTagName(recorded, tagId, true))
  )
    return recorded;
  const suffix = idSuffix(tagId);
  return corpName.endsWith(suffix) ? corpName.slice(0, -suffix.length) : corpName;
}

function split(member: string): [string, string] {
  const at = member.indexOf('/');
  return [member.slice(0, at), member.slice(at + 1)];
}
