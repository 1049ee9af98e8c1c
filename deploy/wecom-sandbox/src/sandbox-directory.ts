// The sandbox's directory, held in WeCom's own shapes and field names (what the API answers), so the
// HTTP layer only selects and pages. Docs: https://developer.work.weixin.qq.com/document/path/90208
// (department), /90196 (user/get), /92114 (externalcontact/get), /93403 (corpgroup), /93172 (linkedcorp).

/** WeCom member status: 1 activated, 2 disabled, 4 not yet activated, 5 quit the enterprise. */
export type WeComUserStatus = 1 | 2 | 4 | 5;

export type SandboxDepartment = {
  id: number;
  name: string;
  name_en?: string;
  parentid: number;
  order: number;
  department_leader: string[];
};

export type SandboxUser = {
  userid: string;
  name: string;
  department: number[];
  /** Order within each department, same positions as `department`. */
  order: number[];
  position: string;
  /** 1 where the user leads the department at the same position of `department`. */
  is_leader_in_dept: number[];
  main_department: number;
  status: WeComUserStatus;
  /** 1 enabled, 0 disabled by an administrator. */
  enable: 0 | 1;
  gender?: '0' | '1' | '2';
  email?: string;
  mobile?: string;
};

export type SandboxFollowUser = {
  userid: string;
  remark: string;
  description: string;
  createtime: number;
  remark_corp_name?: string;
  remark_mobiles: string[];
  add_way: number;
  oper_userid: string;
  /** type 1 企业标签 (then tag_id, see corp-tags.ts), 2 用户自定义, 3 规则组标签. */
  tags: { group_name: string; tag_name: string; type: 1 | 2 | 3; tag_id?: string }[];
};

export type SandboxExternalContact = {
  external_userid: string;
  name: string;
  /** 1 a WeChat user, 2 a WeCom user (then corp_name / corp_full_name). */
  type: 1 | 2;
  gender: 0 | 1 | 2;
  corp_name?: string;
  corp_full_name?: string;
  position?: string;
  follow_user: SandboxFollowUser[];
};

/** A partner enterprise as corpgroup/corp/list_app_share_info lists it; business_type 0 互联企业, 1 上下游. */
export type SandboxPartner = { corpid: string; corp_name: string; agentid: number; business_type: 0 | 1 };

/** A connected enterprise's member our application may see (linkedcorp); userid is "CORPID/USERID". */
export type SandboxLinkedUser = {
  userid: string;
  corpid: string;
  name: string;
  department: string[];
  position?: string;
};

export type SandboxDirectory = {
  departments: SandboxDepartment[];
  users: SandboxUser[];
  externalContacts: SandboxExternalContact[];
  partners: SandboxPartner[];
  linkedUsers: SandboxLinkedUser[];
};

export const emptyDirectory = (): SandboxDirectory => ({
  departments: [],
  users: [],
  externalContacts: [],
  partners: [],
  linkedUsers: [],
});

/** One corp's directory, keyed for lookups; insertion order is list order (stable cursors). */
export class DirectoryState {
  readonly departments = new Map<number, SandboxDepartment>();
  readonly users = new Map<string, SandboxUser>();
  readonly externalContacts = new Map<string, SandboxExternalContact>();
  readonly partners = new Map<string, SandboxPartner>();
  readonly linkedUsers = new Map<string, SandboxLinkedUser>();

  private byDepartment: Map<number, SandboxUser[]> | undefined;

  private byFollower: Map<string, SandboxExternalContact[]> | undefined;

  /** Every change to users or external contacts calls this, so the indexes are rebuilt on the next read. */
  touch(): void {
    this.byDepartment = undefined;
    this.byFollower = undefined;
  }

  /** The customers one member follows, in list order. */
  contactsOf(userid: string): SandboxExternalContact[] {
    if (!this.byFollower) {
      this.byFollower = new Map();
      for (const c of this.externalContacts.values())
        for (const f of c.follow_user) {
          const list = this.byFollower.get(f.userid) ?? [];
          list.push(c);
          this.byFollower.set(f.userid, list);
        }
    }
    return this.byFollower.get(userid) ?? [];
  }

  /** The users of one department, in list order (an index: user/list is called once per department). */
  usersIn(departmentId: number): SandboxUser[] {
    if (!this.byDepartment) {
      this.byDepartment = new Map();
      for (const u of this.users.values())
        for (const d of u.department) {
          const list = this.byDepartment.get(d) ?? [];
          if (!list.includes(u)) list.push(u);
          this.byDepartment.set(d, list);
        }
    }
    return this.byDepartment.get(departmentId) ?? [];
  }

  replace(directory: SandboxDirectory): void {
    this.touch();
    this.departments.clear();
    this.users.clear();
    this.externalContacts.clear();
    this.partners.clear();
    this.linkedUsers.clear();
    for (const d of directory.departments) this.departments.set(d.id, clone(d));
    for (const u of directory.users) this.users.set(u.userid, clone(u));
    for (const c of directory.externalContacts) this.externalContacts.set(c.external_userid, clone(c));
    for (const p of directory.partners) this.partners.set(p.corpid, clone(p));
    for (const l of directory.linkedUsers) this.linkedUsers.set(l.userid, clone(l));
  }

  snapshot(): SandboxDirectory {
    return clone({
      departments: [...this.departments.values()],
      users: [...this.users.values()],
      externalContacts: [...this.externalContacts.values()],
      partners: [...this.partners.values()],
      linkedUsers: [...this.linkedUsers.values()],
    });
  }

  /** The department and every department below it (department/list?id=…), in list order. */
  subtree(rootId: number): SandboxDepartment[] {
    const inTree = new Set([rootId]);
    // Parents come before children in a seeded list, but a moved department may not: iterate to a fixpoint.
    let grew = true;
    while (grew) {
      grew = false;
      for (const d of this.departments.values())
        if (!inTree.has(d.id) && inTree.has(d.parentid)) {
          inTree.add(d.id);
          grew = true;
        }
    }
    return [...this.departments.values()].filter((d) => inTree.has(d.id));
  }
}

export const clone = <T>(value: T): T => structuredClone(value);
