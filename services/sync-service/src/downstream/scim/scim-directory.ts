// The SCIM 2.0 client connector (RFC 7643 resources, RFC 7644 protocol): an account is a User found by
// externalId (= employee id) with `active`; a group is a Group found by externalId (= tag id) whose members
// change by PATCH add/remove operations, never by replacing the list. Every update carries If-Match with
// the version read; a 412 re-reads and retries once, then the change is refused as a conflict.
import {
  DownstreamRejectedError,
  DownstreamUnavailableError,
  type DownstreamAccount,
  type DownstreamDirectory,
  type DownstreamGroup,
} from '../port/downstream-directory.port';
import { ScimHttp, ScimHttpError, type ScimHttpOptions } from './scim-http';

export const SCIM_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const SCIM_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const SCIM_PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
/** Core Group has no address; TagGuard keeps the mail group's in this extension (D53). */
export const TAGGUARD_GROUP_EXTENSION = 'urn:ietf:params:scim:schemas:extension:tagguard:2.0:Group';

export type ScimDirectoryOptions = ScimHttpOptions & {
  /** Page size of list calls (the provider may answer fewer). */
  pageSize?: number;
};

type ScimUser = {
  id: string;
  externalId?: string;
  userName: string;
  displayName?: string;
  active?: boolean;
  emails?: { value: string; primary?: boolean }[];
  meta?: { version?: string };
};
type ScimGroup = {
  id: string;
  externalId?: string;
  displayName: string;
  members?: { value: string }[];
  [TAGGUARD_GROUP_EXTENSION]?: { email?: string };
  meta?: { version?: string };
};
type PatchOperation = { op: 'add' | 'remove' | 'replace'; path: string; value?: unknown };
type ListResponse<T> = { totalResults: number; startIndex?: number; itemsPerPage?: number; Resources?: T[] };

/** A filter value as a SCIM string literal (RFC 7644 §3.4.2.2: JSON string rules). */
export const scimString = (value: string): string => JSON.stringify(value);

export class ScimDirectory implements DownstreamDirectory {
  readonly kind = 'scim';
  private readonly http: ScimHttp;

  constructor(private readonly options: ScimDirectoryOptions) {
    this.http = new ScimHttp(options);
  }

  async upsertAccount(account: DownstreamAccount): Promise<void> {
    const current = await this.findUser(account.employeeId);
    if (!current) {
      await this.call(() =>
        this.http.send('POST', '/Users', {
          schemas: [SCIM_USER],
          externalId: account.employeeId,
          userName: account.email,
          displayName: account.displayName,
          active: account.active,
          emails: [{ value: account.email, primary: true, type: 'work' }],
        }),
      );
      return;
    }
    await this.patchWithRetry('Users', current, (user) => userOps(user, account));
  }

  async setAccountActive(employeeId: string, active: boolean): Promise<void> {
    const current = await this.findUser(employeeId);
    if (!current)
      throw new DownstreamRejectedError(this.kind, 'not_found', `no SCIM user with externalId ${employeeId}`);
    await this.patchWithRetry('Users', current, (user) =>
      user.active === active ? [] : [{ op: 'replace', path: 'active', value: active }],
    );
  }

  async upsertGroup(group: DownstreamGroup): Promise<void> {
    const members = await this.userIds(group.memberEmployeeIds);
    const current = await this.findGroup(group.groupId);
    if (!current) {
      await this.call(() =>
        this.http.send('POST', '/Groups', {
          schemas: [SCIM_GROUP, TAGGUARD_GROUP_EXTENSION],
          externalId: group.groupId,
          displayName: group.displayName,
          members: members.map((value) => ({ value })),
          [TAGGUARD_GROUP_EXTENSION]: { email: group.email },
        }),
      );
      return;
    }
    await this.patchWithRetry('Groups', current, (g) => groupOps(g, group, members));
  }

  async removeGroup(groupId: string): Promise<void> {
    let current = await this.findGroup(groupId);
    for (let attempt = 1; current; attempt++) {
      try {
        await this.http.send(
          'DELETE',
          `/Groups/${encodeURIComponent(current.id)}`,
          undefined,
          ifMatch(current),
        );
        return;
      } catch (error) {
        if (error instanceof ScimHttpError && error.status === 404) return;
        if (!(error instanceof ScimHttpError && error.status === 412) || attempt > 1)
          throw this.translate(error);
        current = await this.read<ScimGroup>('Groups', current.id);
      }
    }
  }

  async *listAccounts(): AsyncIterable<DownstreamAccount> {
    for await (const user of this.list<ScimUser>('/Users', 'externalId pr'))
      yield {
        employeeId: user.externalId!,
        email: user.emails?.find((e) => e.primary)?.value ?? user.emails?.[0]?.value ?? user.userName,
        displayName: user.displayName ?? '',
        active: user.active ?? true,
      };
  }

  async *listGroups(): AsyncIterable<DownstreamGroup> {
    const employeeOf = new Map<string, string>();
    for await (const user of this.list<ScimUser>('/Users', 'externalId pr'))
      employeeOf.set(user.id, user.externalId!);
    for await (const group of this.list<ScimGroup>('/Groups', 'externalId pr'))
      yield {
        groupId: group.externalId!,
        displayName: group.displayName,
        email: group[TAGGUARD_GROUP_EXTENSION]?.email ?? '',
        // Members that are not TagGuard's users (no externalId) are not TagGuard's to report.
        memberEmployeeIds: [
          ...new Set((group.members ?? []).flatMap((m) => employeeOf.get(m.value) ?? [])),
        ].sort(),
      };
  }

  close(): Promise<void> {
    // Nothing held open: each call is its own fetch.
    return Promise.resolve();
  }

  /** PATCH the operations computed from the resource as read; on 412 read it again and retry once. */
  private async patchWithRetry<T extends { id: string; meta?: { version?: string } }>(
    type: 'Users' | 'Groups',
    read: T,
    operations: (resource: T) => PatchOperation[],
  ): Promise<void> {
    let current = read;
    for (let attempt = 1; ; attempt++) {
      const ops = operations(current);
      if (!ops.length) return;
      try {
        await this.http.send(
          'PATCH',
          `/${type}/${encodeURIComponent(current.id)}`,
          { schemas: [SCIM_PATCH], Operations: ops },
          ifMatch(current),
        );
        return;
      } catch (error) {
        if (!(error instanceof ScimHttpError && error.status === 412)) throw this.translate(error);
        if (attempt > 1)
          throw new DownstreamRejectedError(
            this.kind,
            'conflict',
            `${type}/${current.id} changed again while retrying`,
          );
        current = await this.read<T>(type, current.id);
      }
    }
  }

  private async read<T extends { meta?: { version?: string } }>(
    type: 'Users' | 'Groups',
    id: string,
  ): Promise<T> {
    const answer = await this.call(() => this.http.send<T>('GET', `/${type}/${encodeURIComponent(id)}`));
    // The ETag header wins over meta.version when both are present (RFC 7644 §3.14).
    return {
      ...answer.body,
      meta: { ...answer.body.meta, version: answer.etag ?? answer.body.meta?.version },
    };
  }

  private async findUser(employeeId: string): Promise<ScimUser | undefined> {
    return this.findOne<ScimUser>('Users', employeeId);
  }

  private async findGroup(groupId: string): Promise<ScimGroup | undefined> {
    return this.findOne<ScimGroup>('Groups', groupId);
  }

  private async findOne<T extends { id: string; meta?: { version?: string } }>(
    type: 'Users' | 'Groups',
    externalId: string,
  ): Promise<T | undefined> {
    const filter = encodeURIComponent(`externalId eq ${scimString(externalId)}`);
    const answer = await this.call(() =>
      this.http.send<ListResponse<T>>('GET', `/${type}?filter=${filter}&count=2`),
    );
    const found = answer.body.Resources ?? [];
    if (found.length > 1)
      throw new DownstreamRejectedError(
        this.kind,
        'conflict',
        `${found.length} ${type} with externalId ${externalId}`,
      );
    return found[0];
  }

  /** The SCIM ids of these employees' users, by externalId filters of up to 50 terms; all must exist. */
  private async userIds(employeeIds: string[]): Promise<string[]> {
    const idOf = new Map<string, string>();
    for (let i = 0; i < employeeIds.length; i += 50) {
      const chunk = employeeIds.slice(i, i + 50);
      const filter = chunk.map((id) => `externalId eq ${scimString(id)}`).join(' or ');
      for await (const user of this.list<ScimUser>('/Users', filter)) idOf.set(user.externalId!, user.id);
    }
    const missing = employeeIds.filter((id) => !idOf.has(id));
    if (missing.length)
      throw new DownstreamRejectedError(
        this.kind,
        'not_found',
        `members without a SCIM user: ${missing.join(', ')}`,
      );
    return employeeIds.map((id) => idOf.get(id)!);
  }

  /** Every resource matching the filter, page by page (startIndex is 1-based; RFC 7644 §3.4.2.4). */
  private async *list<T>(path: string, filter: string): AsyncIterable<T> {
    const count = this.options.pageSize ?? 100;
    for (let startIndex = 1; ;) {
      const query = `filter=${encodeURIComponent(filter)}&startIndex=${startIndex}&count=${count}`;
      const { body } = await this.call(() => this.http.send<ListResponse<T>>('GET', `${path}?${query}`));
      const page = body.Resources ?? [];
      yield* page;
      startIndex += page.length;
      if (!page.length || startIndex > body.totalResults) return;
    }
  }

  private async call<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw this.translate(error);
    }
  }

  private translate(error: unknown): unknown {
    if (!(error instanceof ScimHttpError)) return error;
    if (error.status === 0 || error.status === 429 || error.status >= 500)
      return new DownstreamUnavailableError(this.kind, error.message, error);
    const code =
      error.status === 401 || error.status === 403
        ? 'unauthorized'
        : error.status === 404
          ? 'not_found'
          : error.status === 409 || error.status === 412
            ? 'conflict'
            : error.status === 400
              ? 'invalid'
              : 'other';
    return new DownstreamRejectedError(this.kind, code, error.message);
  }
}

const ifMatch = (resource: { meta?: { version?: string } }): Record<string, string> =>
  resource.meta?.version ? { 'if-match': resource.meta.version } : {};

function userOps(user: ScimUser, account: DownstreamAccount): PatchOperation[] {
  const ops: PatchOperation[] = [];
  if (user.userName !== account.email) ops.push({ op: 'replace', path: 'userName', value: account.email });
  if ((user.displayName ?? '') !== account.displayName)
    ops.push({ op: 'replace', path: 'displayName', value: account.displayName });
  if ((user.active ?? true) !== account.active)
    ops.push({ op: 'replace', path: 'active', value: account.active });
  const primary = user.emails?.find((e) => e.primary)?.value ?? user.emails?.[0]?.value;
  if (primary !== account.email)
    ops.push({
      op: 'replace',
      path: 'emails',
      value: [{ value: account.email, primary: true, type: 'work' }],
    });
  return ops;
}

function groupOps(group: ScimGroup, desired: DownstreamGroup, memberIds: string[]): PatchOperation[] {
  const ops: PatchOperation[] = [];
  if (group.displayName !== desired.displayName)
    ops.push({ op: 'replace', path: 'displayName', value: desired.displayName });
  if (group[TAGGUARD_GROUP_EXTENSION]?.email !== desired.email)
    ops.push({ op: 'replace', path: `${TAGGUARD_GROUP_EXTENSION}:email`, value: desired.email });
  const have = new Set((group.members ?? []).map((m) => m.value));
  const want = new Set(memberIds);
  const add = memberIds.filter((id) => !have.has(id));
  if (add.length) ops.push({ op: 'add', path: 'members', value: add.map((value) => ({ value })) });
  for (const id of have)
    if (!want.has(id)) ops.push({ op: 'remove', path: `members[value eq ${scimString(id)}]` });
  return ops;
}
