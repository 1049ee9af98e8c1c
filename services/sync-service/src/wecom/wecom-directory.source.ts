import type {
  Customer,
  DirectoryObjectRef,
  DirectoryObjectState,
  DirectorySnapshot,
  Employee,
  PartnerEnterprise,
} from '../directory/domain/directory.model';
import type {
  DirectorySource,
  PullFailure,
  PullProgress,
  PullScope,
  PullResult,
} from '../directory/sources/directory-source.port';
import {
  toCustomer,
  toDepartment,
  toEmployee,
  toPartner,
  toPartnerStaff,
  type WeComDepartment,
  type WeComExternalContact,
  type WeComFollowInfo,
  type WeComUser,
} from './domain/wecom-mapping';
import { WECOM_ERR, WeComApiError, type WeComClient } from './wecom.client';

type Fail = (ref: string, covers: PullScope, error: unknown) => void;

/** linkedcorp userids read "corpid/userid"; one without a corp covers the whole staff list (safe side). */
const staffScope = (userid: string): PullScope => {
  const slash = userid.indexOf('/');
  return slash < 0
    ? { kind: 'partner_staff' }
    : { kind: 'partner_staff_member', corpId: userid.slice(0, slash), staffId: userid.slice(slash + 1) };
};

export type WeComTenant = { client: WeComClient; agentId?: number };

const ABSENT = new Set<number>([
  WECOM_ERR.userNotFound,
  WECOM_ERR.departmentNotFound,
  WECOM_ERR.noExternalRelation,
  WECOM_ERR.invalidExternalUserId,
]);
const BATCH_USERS = 100; // externalcontact/batch/get_by_user takes at most 100 userids
const BATCH_LIMIT = 100;

/**
 * The directory as WeCom's contacts API has it. A full pull reads the department tree, the users of each
 * department (user/list), each follower's customers (batch/get_by_user, 100 followers a call) and, with an
 * agentid, the partner enterprises (corpgroup, both business types) and the connected enterprises' staff
 * our application sees (linkedcorp). A failing call costs only what it covers (a department's users, one
 * follower's customers, one partner member): it is a PullFailure and the pull goes on.
 */
export class WeComDirectorySource implements DirectorySource {
  constructor(private readonly tenant: (tenantId: string) => WeComTenant) {}

  async pullAll(tenantId: string, onProgress?: (progress: PullProgress) => void): Promise<PullResult> {
    const { client, agentId } = this.tenant(tenantId);
    const failures: PullFailure[] = [];
    const fail = (ref: string, covers: PullScope, error: unknown) => {
      if (!(error instanceof WeComApiError)) throw error;
      failures.push({ ref, covers, errcode: error.errcode, errmsg: error.errmsg });
    };
    const progress = (phase: string, done: number, total: number) => onProgress?.({ phase, done, total });

    // The department tree is one call; without it there is nothing to pull (the caller sees the error).
    const { department } = await client.get<{ department: WeComDepartment[] }>('/cgi-bin/department/list');
    const departments = department.map(toDepartment);
    progress('departments', departments.length, departments.length);

    const employees = new Map<string, Employee>();
    let done = 0;
    for (const d of department) {
      try {
        const { userlist } = await client.get<{ userlist: WeComUser[] }>('/cgi-bin/user/list', {
          department_id: d.id,
        });
        for (const u of userlist) if (!employees.has(u.userid)) employees.set(u.userid, toEmployee(u));
      } catch (error) {
        fail(`department/${d.id}/users`, { kind: 'department_users', departmentId: String(d.id) }, error);
      }
      progress('employees', ++done, department.length);
    }

    const customers = await this.pullCustomers(client, [...employees.keys()], fail, progress);
    const { partners, partnerStaff } = await this.pullPartners(client, agentId, fail, progress);

    const snapshot: DirectorySnapshot = {
      departments,
      employees: [...employees.values()],
      partners,
      partnerStaff,
      customers,
    };
    return { snapshot, failures };
  }

  private async pullCustomers(
    client: WeComClient,
    followers: string[],
    fail: Fail,
    progress: (phase: string, done: number, total: number) => void,
  ): Promise<Customer[]> {
    const contacts = new Map<string, { contact: WeComExternalContact; follow: WeComFollowInfo[] }>();
    const readBatch = async (userids: string[]) => {
      let cursor = '';
      const rows: { external_contact: WeComExternalContact; follow_info: WeComFollowInfo }[] = [];
      do {
        const page = await client.post<{
          external_contact_list: { external_contact: WeComExternalContact; follow_info: WeComFollowInfo }[];
          next_cursor?: string;
        }>('/cgi-bin/externalcontact/batch/get_by_user', {
          userid_list: userids,
          cursor,
          limit: BATCH_LIMIT,
        });
        rows.push(...page.external_contact_list);
        cursor = page.next_cursor ?? '';
      } while (cursor);
      for (const { external_contact: c, follow_info: f } of rows) {
        const entry = contacts.get(c.external_userid) ?? { contact: c, follow: [] };
        entry.follow.push(f);
        contacts.set(c.external_userid, entry);
      }
    };
    let done = 0;
    for (let i = 0; i < followers.length; i += BATCH_USERS) {
      const batch = followers.slice(i, i + BATCH_USERS);
      try {
        await readBatch(batch);
      } catch (error) {
        if (!(error instanceof WeComApiError)) throw error;
        // One bad follower fails the whole batch: read them one by one so only that one is lost.
        for (const userid of batch)
          await readBatch([userid]).catch((e: unknown) =>
            fail(`employee/${userid}/customers`, { kind: 'follower_customers', employeeId: userid }, e),
          );
      }
      done += batch.length;
      progress('customers', done, followers.length);
    }
    return [...contacts.values()].map(({ contact, follow }) => toCustomer(contact, follow));
  }

  private async pullPartners(
    client: WeComClient,
    agentId: number | undefined,
    fail: Fail,
    progress: (phase: string, done: number, total: number) => void,
  ): Promise<Pick<DirectorySnapshot, 'partners' | 'partnerStaff'>> {
    if (agentId === undefined) return { partners: [], partnerStaff: [] };
    const partners: PartnerEnterprise[] = [];
    for (const businessType of [0, 1]) {
      try {
        partners.push(...(await listShared(client, agentId, businessType)));
      } catch (error) {
        fail(`partners/business_type/${businessType}`, { kind: 'partners' }, error);
      }
    }
    const partnerStaff = [];
    try {
      const { userids } = await client.post<{ userids: string[] }>(
        '/cgi-bin/linkedcorp/agent/get_perm_list',
        {},
      );
      let done = 0;
      for (const userid of userids) {
        try {
          const { user_info } = await client.post<{
            user_info: { userid: string; corpid: string; name: string };
          }>('/cgi-bin/linkedcorp/user/get', { userid });
          partnerStaff.push(toPartnerStaff(user_info));
        } catch (error) {
          fail(`partner_staff/${userid}`, staffScope(userid), error);
        }
        progress('partner_staff', ++done, userids.length);
      }
    } catch (error) {
      fail('partner_staff', { kind: 'partner_staff' }, error);
    }
    progress('partners', partners.length, partners.length);
    return { partners, partnerStaff };
  }

  async read(tenantId: string, ref: DirectoryObjectRef): Promise<DirectoryObjectState> {
    const { client, agentId } = this.tenant(tenantId);
    const absentOn = async <T>(read: () => Promise<T>): Promise<T | 'absent'> => {
      try {
        return await read();
      } catch (error) {
        if (error instanceof WeComApiError && ABSENT.has(error.errcode)) return 'absent';
        throw error;
      }
    };
    switch (ref.kind) {
      case 'department': {
        const value = await absentOn(async () =>
          toDepartment(
            (
              await client.get<{ department: WeComDepartment }>('/cgi-bin/department/get', {
                id: ref.departmentId,
              })
            ).department,
          ),
        );
        return { ...ref, value };
      }
      case 'employee': {
        const value = await absentOn(async () =>
          toEmployee(
            await client.get<WeComUser & { errcode: number }>('/cgi-bin/user/get', {
              userid: ref.employeeId,
            }),
          ),
        );
        return { ...ref, value };
      }
      case 'customer': {
        const value = await absentOn(async () => {
          let cursor = '';
          const follow: WeComFollowInfo[] = [];
          let contact: WeComExternalContact | undefined;
          do {
            const page = await client.get<{
              external_contact: WeComExternalContact;
              follow_user: WeComFollowInfo[];
              next_cursor?: string;
            }>('/cgi-bin/externalcontact/get', {
              external_userid: ref.externalUserId,
              ...(cursor ? { cursor } : {}),
            });
            contact = page.external_contact;
            follow.push(...page.follow_user);
            cursor = page.next_cursor ?? '';
          } while (cursor);
          return toCustomer(contact, follow);
        });
        return { ...ref, value };
      }
      case 'partner': {
        // No single-partner read is documented: list both kinds and look for it.
        if (agentId === undefined) return { ...ref, value: 'absent' };
        const all = [...(await listShared(client, agentId, 0)), ...(await listShared(client, agentId, 1))];
        return { ...ref, value: all.find((p) => p.corpId === ref.corpId) ?? 'absent' };
      }
      case 'partner_staff': {
        const value = await absentOn(async () =>
          toPartnerStaff(
            (
              await client.post<{ user_info: { userid: string; corpid: string; name: string } }>(
                '/cgi-bin/linkedcorp/user/get',
                { userid: `${ref.corpId}/${ref.staffId}` },
              )
            ).user_info,
          ),
        );
        return { ...ref, value };
      }
    }
  }
}

async function listShared(
  client: WeComClient,
  agentId: number,
  businessType: number,
): Promise<PartnerEnterprise[]> {
  const partners: PartnerEnterprise[] = [];
  let cursor = '';
  for (;;) {
    const page = await client.post<{
      ending?: number;
      corp_list: { corpid: string; corp_name: string }[];
      next_cursor?: string;
    }>('/cgi-bin/corpgroup/corp/list_app_share_info', {
      agentid: agentId,
      business_type: businessType,
      limit: 100,
      ...(cursor ? { cursor } : {}),
    });
    partners.push(...page.corp_list.map((p) => toPartner(p, businessType)));
    cursor = page.next_cursor ?? '';
    if (page.ending === 1 || !cursor) return partners;
  }
}
