import {
  deliver,
  eventXml,
  verifyCallbackUrl,
  type CallbackDelivery,
  type CallbackTarget,
} from './callbacks';
import {
  clone,
  DirectoryState,
  type SandboxDepartment,
  type SandboxDirectory,
  type SandboxExternalContact,
  type SandboxLinkedUser,
  type SandboxPartner,
  type SandboxUser,
} from './sandbox-directory';
import type { SentAppMessage } from './app-messages';
import { CorpTagState } from './corp-tags';
import { ExmailState } from './exmail';

/** A fault a test plants: the next `times` calls of `path` (matching `when`, if given) answer `errcode`. */
export type PlantedFault = {
  path: string;
  errcode: number;
  errmsg?: string;
  times?: number;
  when?: (params: Record<string, unknown>) => boolean;
};

export type CorpConfig = {
  corpId: string;
  secret: string;
  /** The application's agentid (callback envelopes, corpgroup); 1000002 unless given. */
  agentId?: number;
  callback?: CallbackTarget;
  /** Exmail's 通讯录管理 application secret: its gettoken (under /exmail) takes this, not `secret`. */
  exmailSecret?: string;
};

/**
 * One corp's directory, for tests and the demo: seed it, change it (each change sends the documented
 * callback), force token expiry, plant faults, and read what was called and delivered.
 */
export class CorpAdmin {
  readonly state = new DirectoryState();
  /** The corp's Exmail (腾讯企业邮) mailboxes and mail groups, behind /exmail/cgi-bin/…. */
  readonly exmail = new ExmailState();
  /** The corp's customer tags (企业客户标签). */
  readonly corpTags = new CorpTagState();
  readonly deliveries: CallbackDelivery[] = [];
  /** Application messages delivered by /cgi-bin/message/send, in order. */
  readonly appMessages: SentAppMessage[] = [];
  /** Calls answered, per API path (errors included). */
  readonly calls = new Map<string, number>();
  readonly faults: (PlantedFault & { left: number })[] = [];
  /** Tokens issued: token -> expiry (ms); `expireTokens` moves every expiry into the past. */
  readonly tokens = new Map<string, number>();
  private pending = new Set<Promise<CallbackDelivery>>();

  constructor(readonly config: CorpConfig) {}

  get agentId(): number {
    return this.config.agentId ?? 1000002;
  }

  seed(directory: SandboxDirectory): void {
    this.state.replace(directory);
  }

  snapshot(): SandboxDirectory {
    return this.state.snapshot();
  }

  /** Every access token issued so far answers 42001 (expired) from now on. */
  expireTokens(): void {
    for (const token of this.tokens.keys()) this.tokens.set(token, 0);
  }

  /** Forget every issued token: each then answers 40014 (invalid), as after a secret reset. */
  revokeTokens(): void {
    this.tokens.clear();
  }

  plantFault(fault: PlantedFault): void {
    this.faults.push({ ...fault, left: fault.times ?? 1 });
  }

  callCount(path: string): number {
    return this.calls.get(path) ?? 0;
  }

  /** Resolves when every callback sent so far was answered (or gave up). */
  async callbacksSettled(): Promise<CallbackDelivery[]> {
    while (this.pending.size) await Promise.all([...this.pending]);
    return this.deliveries;
  }

  setCallback(target: CallbackTarget | undefined): void {
    this.config.callback = target;
  }

  verifyCallbackUrl(): Promise<{ ok: boolean; status: number | null; echoed: string }> {
    if (!this.config.callback) throw new Error(`corp ${this.config.corpId} has no callback configured`);
    return verifyCallbackUrl(this.config.callback, this.config.corpId);
  }

  upsertDepartment(department: SandboxDepartment): Promise<CallbackDelivery | undefined> {
    const existed = this.state.departments.has(department.id);
    this.state.departments.set(department.id, clone(department));
    return this.send('change_contact', existed ? 'update_party' : 'create_party', {
      Id: department.id,
      Name: department.name,
      ParentId: department.parentid,
      Order: department.order,
    });
  }

  deleteDepartment(id: number): Promise<CallbackDelivery | undefined> {
    if (!this.state.departments.delete(id)) throw new Error(`no department ${id}`);
    return this.send('change_contact', 'delete_party', { Id: id });
  }

  upsertUser(user: SandboxUser): Promise<CallbackDelivery | undefined> {
    const existed = this.state.users.has(user.userid);
    this.state.users.set(user.userid, clone(user));
    this.state.touch();
    return this.send('change_contact', existed ? 'update_user' : 'create_user', {
      UserID: user.userid,
      Name: user.name,
      Department: user.department.join(','),
      MainDepartment: user.main_department,
      IsLeaderInDept: user.is_leader_in_dept.join(','),
      Position: user.position,
      Status: user.status,
    });
  }

  /** Changes some of a user's fields (e.g. `{ enable: 0 }` to disable) and sends update_user. */
  updateUser(
    userid: string,
    change: Partial<Omit<SandboxUser, 'userid'>>,
  ): Promise<CallbackDelivery | undefined> {
    const user = this.state.users.get(userid);
    if (!user) throw new Error(`no user ${userid}`);
    return this.upsertUser({ ...user, ...change });
  }

  deleteUser(userid: string): Promise<CallbackDelivery | undefined> {
    if (!this.state.users.delete(userid)) throw new Error(`no user ${userid}`);
    this.state.touch();
    return this.send('change_contact', 'delete_user', { UserID: userid });
  }

  /** Adds or edits a customer: add_external_contact for each new follower, edit_external_contact otherwise. */
  async upsertExternalContact(contact: SandboxExternalContact): Promise<(CallbackDelivery | undefined)[]> {
    const before = this.state.externalContacts.get(contact.external_userid);
    this.state.externalContacts.set(contact.external_userid, clone(contact));
    this.state.touch();
    const known = new Set(before?.follow_user.map((f) => f.userid) ?? []);
    return Promise.all(
      contact.follow_user.map((f) =>
        this.send(
          'change_external_contact',
          known.has(f.userid) ? 'edit_external_contact' : 'add_external_contact',
          {
            UserID: f.userid,
            ExternalUserID: contact.external_userid,
            ...(known.has(f.userid) ? {} : { State: '', WelcomeCode: '' }),
          },
        ),
      ),
    );
  }

  /** The follower deletes the customer (del_external_contact); the customer goes when no follower is left. */
  deleteExternalContact(externalUserId: string, userid: string): Promise<CallbackDelivery | undefined> {
    const contact = this.state.externalContacts.get(externalUserId);
    if (!contact) throw new Error(`no external contact ${externalUserId}`);
    contact.follow_user = contact.follow_user.filter((f) => f.userid !== userid);
    this.state.touch();
    if (!contact.follow_user.length) this.state.externalContacts.delete(externalUserId);
    return this.send('change_external_contact', 'del_external_contact', {
      UserID: userid,
      ExternalUserID: externalUserId,
    });
  }

  /** A tag group made in the admin console (not by the sandbox's application: the API may not edit it, 81011). */
  addConsoleCorpTags(groupName: string, tagNames: string[]): ReturnType<CorpTagState['add']> {
    return this.corpTags.add(
      { name: groupName },
      tagNames.map((name) => ({ name })),
      'console',
    );
  }

  /** Keeps the names on customers' follow_user.tags in step with an edited corp tag. */
  renameMarkedTag(tagId: string, tagName: string, groupName: string): void {
    for (const c of this.state.externalContacts.values())
      for (const f of c.follow_user)
        for (const t of f.tags)
          if (t.tag_id === tagId) Object.assign(t, { tag_name: tagName, group_name: groupName });
  }

  /** Deleted corp tags leave every customer they were on. */
  unmarkTags(tagIds: string[]): void {
    const gone = new Set(tagIds);
    for (const c of this.state.externalContacts.values())
      for (const f of c.follow_user) f.tags = f.tags.filter((t) => !t.tag_id || !gone.has(t.tag_id));
    this.state.touch();
  }

  // WeCom documents no callback for partner lists changing; the connector's periodic pull sees them.
  upsertPartner(partner: SandboxPartner): void {
    this.state.partners.set(partner.corpid, clone(partner));
  }

  deletePartner(corpId: string): void {
    this.state.partners.delete(corpId);
  }

  upsertLinkedUser(user: SandboxLinkedUser): void {
    this.state.linkedUsers.set(user.userid, clone(user));
  }

  private send(
    event: string,
    changeType: string,
    fields: Record<string, string | number>,
  ): Promise<CallbackDelivery | undefined> {
    const target = this.config.callback;
    if (!target) return Promise.resolve(undefined);
    const xml = eventXml(this.config.corpId, event, changeType, fields);
    const sending = deliver(target, this.config.corpId, this.agentId, event, changeType, xml).then((d) => {
      this.deliveries.push(d);
      this.pending.delete(sending);
      return d;
    });
    this.pending.add(sending);
    return sending;
  }
}
