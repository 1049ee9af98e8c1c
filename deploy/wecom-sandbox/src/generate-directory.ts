import type { SandboxDepartment, SandboxDirectory, SandboxUser, WeComUserStatus } from './sandbox-directory';

export type GenerateOptions = {
  seed: number;
  departments: number;
  employees: number;
  /** Customers, each followed by 1–3 employees; 0 unless given. */
  customers?: number;
  partners?: number;
};

// mulberry32: small, fast and the same sequence for the same seed on every machine.
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A large, deterministic directory (same seed, same directory) for benchmarks: a department tree no
 * deeper than WeCom's 15 levels, employees in one or two departments, a few disabled / not activated.
 */
export function generateDirectory(options: GenerateOptions): SandboxDirectory {
  const rnd = random(options.seed);
  const pick = (n: number) => Math.floor(rnd() * n);
  const departments: SandboxDepartment[] = [
    { id: 1, name: 'Company', parentid: 0, order: 100000000, department_leader: [] },
  ];
  const depth = new Map<number, number>([[1, 1]]);
  for (let id = 2; id <= options.departments; id++) {
    let parent = departments[pick(departments.length)]!;
    while (depth.get(parent.id)! >= 15) parent = departments[pick(departments.length)]!;
    depth.set(id, depth.get(parent.id)! + 1);
    departments.push({
      id,
      name: `Dept ${id}`,
      parentid: parent.id,
      order: 100000000 - id,
      department_leader: [],
    });
  }
  const users: SandboxUser[] = [];
  for (let i = 1; i <= options.employees; i++) {
    const main = departments[pick(departments.length)]!.id;
    const second = rnd() < 0.1 ? departments[pick(departments.length)]!.id : undefined;
    const department = second && second !== main ? [main, second] : [main];
    const roll = rnd();
    const status: WeComUserStatus = roll < 0.01 ? 2 : roll < 0.02 ? 4 : 1;
    const leads = rnd() < 0.05;
    users.push({
      userid: `u${i}`,
      name: `Employee ${i}`,
      department,
      order: department.map(() => 0),
      position: leads ? 'Lead' : 'Staff',
      is_leader_in_dept: department.map((_, j) => (leads && j === 0 ? 1 : 0)),
      main_department: main,
      status,
      enable: status === 2 ? 0 : 1,
    });
    if (leads) departments[main - 1]!.department_leader.push(`u${i}`);
  }
  const externalContacts = Array.from({ length: options.customers ?? 0 }, (_, i) => {
    const followers = new Set(Array.from({ length: 1 + pick(3) }, () => users[pick(users.length)]!.userid));
    return {
      external_userid: `wm${String(i + 1).padStart(10, '0')}`,
      name: `Customer ${i + 1}`,
      type: (rnd() < 0.3 ? 2 : 1) as 1 | 2,
      gender: 0 as const,
      corp_name: `Client Corp ${i % 97}`,
      follow_user: [...followers].map((userid) => ({
        userid,
        remark: '',
        description: '',
        createtime: 1_700_000_000 + i,
        remark_corp_name: '',
        remark_mobiles: [],
        add_way: 1,
        oper_userid: userid,
        tags: [],
      })),
    };
  });
  const partners = Array.from({ length: options.partners ?? 0 }, (_, i) => ({
    corpid: `wwpartner${i + 1}`,
    corp_name: `Partner ${i + 1}`,
    agentid: 1000002,
    business_type: (i % 2) as 0 | 1,
  }));
  return { departments, users, externalContacts, partners, linkedUsers: [] };
}
