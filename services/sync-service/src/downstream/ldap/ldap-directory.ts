import {
  AlreadyExistsError,
  Attribute,
  Change,
  Client,
  DN,
  NoSuchObjectError,
  ResultCodeError,
  type Entry,
} from 'ldapts';
import {
  DownstreamRejectedError,
  DownstreamUnavailableError,
  type DownstreamAccount,
  type DownstreamDirectory,
  type DownstreamGroup,
} from '../port/downstream-directory.port';

export type LdapDirectoryOptions = {
  /** ldap://host:port or ldaps://host:port */
  url: string;
  /** A DN allowed to write the tenant's subtree and the ppolicy lock attribute (e.g. the rootdn). */
  bindDn: string;
  bindPassword: string;
  /** The suffix under which each tenant has its own OU: ou=<tenantId>,<baseDn>. */
  baseDn: string;
  tenantId: string;
  /** Connections used in parallel (a resync keeps several operations in flight on each). Default 4. */
  connections?: number;
  /** Per-operation timeout; a server that stops answering is "unavailable", not a hang. Default 10 s. */
  timeoutMs?: number;
};

/** D70: the ppolicy overlay refuses any bind of an entry with this value ("locked by an administrator"). */
export const LOCKED_BY_ADMINISTRATOR = '000001010000Z';
const LOCK_ATTRIBUTE = 'pwdAccountLockedTime';

/**
 * The LDAP connector (OpenLDAP with the ppolicy overlay): accounts are inetOrgPerson entries
 * `uid=<employeeId>,ou=people,ou=<tenant>,<base>`, locked with ppolicy's pwdAccountLockedTime (D70) so
 * any mail server that checks passwords by binding (Dovecot auth_bind, Postfix SASL via saslauthd/ldap)
 * refuses the login; groups are groupOfNames `cn=<groupId>,ou=groups,ou=<tenant>,<base>` (D71).
 * Writes never read first: add, or replace the managed attributes when the entry exists (whichever
 * worked last is tried first), and nothing outside the managed attributes (a mailbox password set by
 * the mail admin) is touched.
 */
export class LdapDirectory implements DownstreamDirectory {
  readonly kind = 'ldap';
  readonly tenantDn: string;
  readonly peopleDn: string;
  readonly groupsDn: string;
  /** A member value for a group with no members (groupOfNames requires one): never an account (D71). */
  readonly emptyGroupMember: string;
  private readonly slots: (Promise<Client> | undefined)[];
  private next = 0;
  private tree?: Promise<void>;
  private closed = false;
  private entriesExist = false;

  constructor(private readonly options: LdapDirectoryOptions) {
    this.tenantDn = `${new DN({ ou: options.tenantId }).toString()},${options.baseDn}`;
    this.peopleDn = `ou=people,${this.tenantDn}`;
    this.groupsDn = `ou=groups,${this.tenantDn}`;
    this.emptyGroupMember = `cn=no-members,${this.tenantDn}`;
    this.slots = Array.from({ length: Math.max(1, options.connections ?? 4) });
  }

  accountDn(employeeId: string): string {
    return `${new DN({ uid: employeeId }).toString()},${this.peopleDn}`;
  }

  groupDn(groupId: string): string {
    return `${new DN({ cn: groupId }).toString()},${this.groupsDn}`;
  }

  async upsertAccount(account: DownstreamAccount): Promise<void> {
    const name = account.displayName || account.employeeId;
    const managed = {
      cn: name,
      sn: name,
      mail: account.email,
      ...(account.displayName ? { displayName: account.displayName } : {}),
    };
    await this.upsert(
      this.accountDn(account.employeeId),
      {
        objectClass: 'inetOrgPerson',
        uid: account.employeeId,
        ...managed,
        ...(account.active ? {} : { [LOCK_ATTRIBUTE]: LOCKED_BY_ADMINISTRATOR }),
      },
      [
        ...Object.entries(managed).map(([type, value]) => replace(type, [value])),
        ...(account.displayName ? [] : [replace('displayName', [])]),
        lockChange(account.active),
      ],
    );
  }

  async setAccountActive(employeeId: string, active: boolean): Promise<void> {
    await this.run(async (client) => {
      try {
        await client.modify(this.accountDn(employeeId), lockChange(active));
      } catch (error) {
        if (error instanceof NoSuchObjectError)
          throw new DownstreamRejectedError(this.kind, 'not_found', `no account ${employeeId}`);
        throw error;
      }
    });
  }

  async upsertGroup(group: DownstreamGroup): Promise<void> {
    const members = group.memberEmployeeIds.length
      ? [...new Set(group.memberEmployeeIds)].map((id) => this.accountDn(id))
      : [this.emptyGroupMember];
    const managed = { displayName: group.displayName || group.groupId, mail: group.email };
    await this.upsert(
      this.groupDn(group.groupId),
      {
        // extensibleObject: groupOfNames has no mail/displayName, and a mail group needs its address (D71).
        objectClass: ['groupOfNames', 'extensibleObject'],
        cn: group.groupId,
        ...managed,
        member: members,
      },
      [...Object.entries(managed).map(([type, value]) => replace(type, [value])), replace('member', members)],
    );
  }

  async removeGroup(groupId: string): Promise<void> {
    await this.run(async (client) => {
      try {
        await client.del(this.groupDn(groupId));
      } catch (error) {
        if (!(error instanceof NoSuchObjectError)) throw error;
      }
    });
  }

  async *listAccounts(): AsyncIterable<DownstreamAccount> {
    for await (const entry of this.list(this.peopleDn, '(objectClass=inetOrgPerson)', [
      'uid',
      'mail',
      'displayName',
      LOCK_ATTRIBUTE,
    ])) {
      yield {
        employeeId: first(entry['uid']),
        email: first(entry['mail']),
        displayName: first(entry['displayName']),
        active: values(entry[LOCK_ATTRIBUTE]).length === 0,
      };
    }
  }

  async *listGroups(): AsyncIterable<DownstreamGroup> {
    const suffix = `,${this.peopleDn}`.toLowerCase();
    for await (const entry of this.list(this.groupsDn, '(objectClass=groupOfNames)', [
      'cn',
      'displayName',
      'mail',
      'member',
    ])) {
      const memberEmployeeIds = values(entry['member'])
        .filter((dn) => dn.toLowerCase().endsWith(suffix))
        .map((dn) => uidOf(dn.slice(0, dn.length - suffix.length)))
        .filter((id): id is string => id !== undefined)
        .sort();
      yield {
        groupId: first(entry['cn']),
        displayName: first(entry['displayName']),
        email: first(entry['mail']),
        memberEmployeeIds,
      };
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const clients = this.slots.splice(0);
    await Promise.all(clients.map(async (slot) => (await slot?.catch(() => undefined))?.unbind()));
  }

  private async upsert(dn: string, entry: Record<string, string | string[]>, changes: Change[]) {
    await this.ensureTree();
    await this.run(async (client) => {
      // Whichever of add / replace worked last goes first: a first load adds, a resync over a synced
      // directory replaces, each in one round trip; the other order costs one more, never a read.
      if (this.entriesExist) {
        try {
          await client.modify(dn, changes);
          return;
        } catch (error) {
          if (!(error instanceof NoSuchObjectError)) throw error;
          this.entriesExist = false;
        }
      }
      try {
        await client.add(dn, entry);
      } catch (error) {
        if (!(error instanceof AlreadyExistsError)) throw error;
        this.entriesExist = true;
        await client.modify(dn, changes);
      }
    });
  }

  private async *list(base: string, filter: string, attributes: string[]): AsyncIterable<Entry> {
    const client = await this.client();
    try {
      for await (const page of client.searchPaginated(base, {
        scope: 'one',
        filter,
        attributes,
        paged: { pageSize: 500 },
      }))
        yield* page.searchEntries;
    } catch (error) {
      if (error instanceof NoSuchObjectError) return; // nothing written for this tenant yet
      throw this.translate(error);
    }
  }

  /** The tenant's OU with people and groups under it, once per connector (again after a failure). */
  private ensureTree(): Promise<void> {
    this.tree ??= this.run(async (client) => {
      for (const [dn, ou] of [
        [this.tenantDn, this.options.tenantId],
        [this.peopleDn, 'people'],
        [this.groupsDn, 'groups'],
      ] as const) {
        try {
          await client.add(dn, { objectClass: 'organizationalUnit', ou });
        } catch (error) {
          if (!(error instanceof AlreadyExistsError)) throw error;
        }
      }
    }).catch((error: unknown) => {
      this.tree = undefined;
      throw error;
    });
    return this.tree;
  }

  private async run<T>(operation: (client: Client) => Promise<T>): Promise<T> {
    try {
      return await operation(await this.client());
    } catch (error) {
      throw this.translate(error);
    }
  }

  /** One of the pooled connections, bound; a slot whose bind failed is retried on the next call. */
  private client(): Promise<Client> {
    if (this.closed) return Promise.reject(new DownstreamUnavailableError(this.kind, 'connector closed'));
    const index = this.next++ % this.slots.length;
    const existing = this.slots[index];
    if (existing) return existing;
    const client = new Client({
      url: this.options.url,
      timeout: this.options.timeoutMs ?? 10_000,
      connectTimeout: this.options.timeoutMs ?? 10_000,
      // After slapd restarts, the next operation reconnects and binds again by itself.
      autoRebind: true,
    });
    const bound = client.bind(this.options.bindDn, this.options.bindPassword).then(
      () => client,
      (error: unknown) => {
        if (this.slots[index] === bound) this.slots[index] = undefined;
        void client.unbind().catch(() => undefined);
        throw this.translate(error);
      },
    );
    this.slots[index] = bound;
    return bound;
  }

  private translate(error: unknown): Error {
    if (error instanceof DownstreamRejectedError || error instanceof DownstreamUnavailableError) return error;
    if (error instanceof ResultCodeError) {
      const code = rejectionCode(error.code);
      return code === 'unavailable'
        ? new DownstreamUnavailableError(this.kind, `${error.message} (LDAP result ${error.code})`, error)
        : new DownstreamRejectedError(this.kind, code, `${error.message} (LDAP result ${error.code})`);
    }
    // Refused or reset connections, timeouts, a closed socket: the server is not there right now.
    const message = error instanceof Error ? error.message || error.name : String(error);
    return new DownstreamUnavailableError(this.kind, `${this.options.url}: ${message}`, error);
  }
}

/** LDAP result codes (RFC 4511 §4.1.9) → the port's categories. */
function rejectionCode(resultCode: number): DownstreamRejectedError['code'] | 'unavailable' {
  switch (resultCode) {
    case 32: // noSuchObject
      return 'not_found';
    case 20: // attributeOrValueExists
    case 68: // entryAlreadyExists
      return 'conflict';
    case 8: // strongerAuthRequired
    case 13: // confidentialityRequired
    case 48: // inappropriateAuthentication
    case 49: // invalidCredentials
    case 50: // insufficientAccessRights
      return 'unauthorized';
    case 16: // noSuchAttribute
    case 17: // undefinedAttributeType
    case 19: // constraintViolation
    case 21: // invalidAttributeSyntax
    case 34: // invalidDNSyntax
    case 64: // namingViolation
    case 65: // objectClassViolation
    case 67: // notAllowedOnRDN
      return 'invalid';
    case 3: // timeLimitExceeded
    case 51: // busy
    case 52: // unavailable
      return 'unavailable';
    default:
      return 'other';
  }
}

const replace = (type: string, vals: string[]): Change =>
  new Change({ operation: 'replace', modification: new Attribute({ type, values: vals }) });

/** Replace with no values removes the lock whether or not it is there: no read needed. */
const lockChange = (active: boolean): Change =>
  replace(LOCK_ATTRIBUTE, active ? [] : [LOCKED_BY_ADMINISTRATOR]);

function values(value: Entry[string] | undefined): string[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v));
}

const first = (value: Entry[string] | undefined): string => values(value)[0] ?? '';

/** The uid of a one-RDN DN string "uid=<escaped>", unescaped (RFC 4514 §2.4), or undefined. */
function uidOf(rdn: string): string | undefined {
  const match = /^uid=(.*)$/i.exec(rdn);
  if (!match?.[1]) return undefined;
  const bytes: number[] = [];
  const chars = Array.from(match[1]);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const hex = `${chars[i + 1] ?? ''}${chars[i + 2] ?? ''}`;
    if (/^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(chars[i + 1] ?? '', 'utf8'));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
