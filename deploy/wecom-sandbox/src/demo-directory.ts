import type { SandboxDirectory } from './sandbox-directory';

/** The embedded demo's small directory: three departments, four employees (one disabled), a customer, a partner. */
export function demoDirectory(): SandboxDirectory {
  const user = (userid: string, name: string, department: number[], position: string, lead = false) => ({
    userid,
    name,
    department,
    order: department.map(() => 0),
    position,
    is_leader_in_dept: department.map((_, i) => (lead && i === 0 ? 1 : 0)),
    main_department: department[0]!,
    status: 1 as const,
    enable: 1 as const,
  });
  return {
    departments: [
      { id: 1, name: '示例科技', parentid: 0, order: 100000000, department_leader: ['zhangsan'] },
      { id: 2, name: '市场部', parentid: 1, order: 99999000, department_leader: ['lisi'] },
      { id: 3, name: '研发部', parentid: 1, order: 99998000, department_leader: [] },
    ],
    users: [
      user('zhangsan', '张三', [1], 'CEO', true),
      user('lisi', '李四', [2], '市场经理', true),
      user('wangwu', '王五', [3, 2], '工程师'),
      { ...user('zhaoliu', '赵六', [3], '实习生'), status: 2, enable: 0 },
    ],
    externalContacts: [
      {
        external_userid: 'wmDemoCustomer0001',
        name: '陈客户',
        type: 2,
        gender: 1,
        corp_name: '客户公司',
        corp_full_name: '客户公司有限公司',
        position: '采购',
        follow_user: [
          {
            userid: 'lisi',
            remark: '陈总',
            description: '重点客户',
            createtime: 1_700_000_000,
            remark_corp_name: '客户公司',
            remark_mobiles: ['13800000000'],
            add_way: 1,
            oper_userid: 'lisi',
            tags: [],
          },
        ],
      },
    ],
    partners: [{ corpid: 'wwDemoPartner01', corp_name: '合作伙伴品牌', agentid: 1000002, business_type: 1 }],
    linkedUsers: [
      {
        userid: 'wwDemoPartner01/xiaoming',
        corpid: 'wwDemoPartner01',
        name: '小明',
        department: ['wwDemoPartner01/1'],
      },
    ],
  };
}
