import { Controller, Inject } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import { directoryV1 } from '@tagguard/contracts';
import { DataSource } from 'typeorm';
import { DirectoryCommands } from './commands/directory-commands';
import type { WriteMeta, WriteOutcome } from './commands/directory-writer';
import { DirectoryError } from './domain/directory.errors';
import {
  atField,
  caller,
  consistent,
  decodeCursor,
  DIRECTORY_EDGE,
  edge,
  page,
  pageSizeField,
  revisionField,
  writeResult,
  type EdgeDeps,
} from './edge';
import {
  CustomerFollowerView,
  CustomerView,
  DepartmentView,
  EmployeeDepartmentView,
  EmployeeView,
  PartnerStaffView,
  PartnerView,
} from './projections/directory-view/directory-view.entities';
import { orderIn, relationIn, statusIn, toCustomer, toDepartment, toEmployee, toPartner } from './wire';

export const MAX_IMPORT_ITEMS = 1_000;
const IMPORT_CONCURRENCY = 16;

type Write = { result: directoryV1.WriteResult };
const notFound = (what: string, field: string) =>
  new DirectoryError('DIRECTORY.NOT_FOUND', `${what} does not exist`, field);

/** tagguard.sync.v1.DirectoryService: the admin API of the enterprise directory. */
@Controller()
@directoryV1.DirectoryServiceControllerMethods()
export class DirectoryGrpcController implements directoryV1.DirectoryServiceController {
  constructor(
    @Inject(DirectoryCommands) private readonly commands: DirectoryCommands,
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(DIRECTORY_EDGE) private readonly deps: EdgeDeps,
  ) {}

  /** Every write: the caller (authorized once), its key bound to this request, the write itself. */
  private write(
    rpc: string,
    request: { idempotencyKey: string },
    metadata: Metadata | undefined,
    run: (m: WriteMeta) => Promise<WriteOutcome>,
  ): Promise<Write> {
    return edge(async () => {
      const meta = await caller(this.deps, metadata, 'directory.write', request.idempotencyKey);
      const { idempotencyKey, ...rest } = request;
      return this.commands.writer.once(meta, idempotencyKey, { rpc, ...rest }, async () => ({
        result: writeResult(await run(meta)),
      }));
    });
  }

  upsertDepartment(r: directoryV1.UpsertDepartmentRequest, md?: Metadata): Promise<Write> {
    return this.write('UpsertDepartment', r, md, (m) => this.upsertDepartmentAs(m, r));
  }

  private upsertDepartmentAs(m: WriteMeta, r: directoryV1.UpsertDepartmentRequest): Promise<WriteOutcome> {
    const department = {
      departmentId: r.departmentId,
      name: r.name,
      parentId: r.parentId || null,
      order: orderIn(r.order),
      leaderIds: r.leaderIds,
    };
    return this.commands.department(
      m,
      { type: 'UpsertDepartment', data: { department } },
      { expectedRevision: revisionField(r.expectedRevision) },
    );
  }

  moveDepartment(r: directoryV1.MoveDepartmentRequest, md?: Metadata): Promise<Write> {
    return this.write('MoveDepartment', r, md, (m) =>
      this.commands.department(
        m,
        {
          type: 'MoveDepartment',
          data: {
            departmentId: r.departmentId,
            parentId: r.parentId || null,
            ...(r.order !== undefined ? { order: orderIn(r.order) } : {}),
          },
        },
        { expectedRevision: revisionField(r.expectedRevision) },
      ),
    );
  }

  removeDepartment(r: directoryV1.RemoveDepartmentRequest, md?: Metadata): Promise<Write> {
    return this.write('RemoveDepartment', r, md, async (m) => {
      if (!(await this.commands.tree(m.tenantId)).departments[r.departmentId])
        throw notFound(`department ${r.departmentId}`, 'departmentId');
      return this.commands.department(
        m,
        { type: 'RemoveDepartment', data: { departmentId: r.departmentId } },
        { expectedRevision: revisionField(r.expectedRevision) },
      );
    });
  }

  upsertEmployee(r: directoryV1.UpsertEmployeeRequest, md?: Metadata): Promise<Write> {
    return this.write('UpsertEmployee', r, md, (m) => this.upsertEmployeeAs(m, r));
  }

  /** The admin API only places employees in departments the directory knows (a source is taken as it is). */
  private async knownDepartments(m: WriteMeta, ids: string[], field: string): Promise<void> {
    const tree = await this.commands.tree(m.tenantId);
    const i = ids.findIndex((id) => !tree.departments[id]);
    if (i >= 0)
      throw notFound(
        `department ${ids[i]}`,
        ids.length === 1 && field.endsWith('Id') ? field : `${field}[${i}]`,
      );
  }

  private async upsertEmployeeAs(m: WriteMeta, r: directoryV1.UpsertEmployeeRequest): Promise<WriteOutcome> {
    await this.knownDepartments(m, r.departmentIds, 'departmentIds');
    const status = statusIn(r.status);
    const employee = {
      employeeId: r.employeeId,
      name: r.name,
      departmentIds: r.departmentIds,
      mainDepartmentId: r.mainDepartmentId || null,
      position: r.position,
      leaderInDepartmentIds: r.leaderInDepartmentIds,
      ...(status ? { status } : {}),
    };
    return this.commands.employee(
      m,
      { type: 'UpsertEmployee', data: { employee } },
      { expectedRevision: revisionField(r.expectedRevision) },
    );
  }

  moveEmployee(r: directoryV1.MoveEmployeeRequest, md?: Metadata): Promise<Write> {
    return this.write('MoveEmployee', r, md, async (m) => {
      await this.knownDepartments(m, [r.toDepartmentId], 'toDepartmentId');
      return this.commands.employee(
        m,
        {
          type: 'MoveEmployee',
          data: {
            employeeId: r.employeeId,
            fromDepartmentId: r.fromDepartmentId,
            toDepartmentId: r.toDepartmentId,
          },
        },
        { expectedRevision: revisionField(r.expectedRevision) },
      );
    });
  }

  private status(
    rpc: string,
    r: { employeeId: string; expectedRevision?: string; idempotencyKey: string },
    md: Metadata | undefined,
    status: 'active' | 'disabled' | 'left',
  ): Promise<Write> {
    return this.write(rpc, r, md, (m) =>
      this.commands.employee(
        m,
        { type: 'SetEmployeeStatus', data: { employeeId: r.employeeId, status } },
        { expectedRevision: revisionField(r.expectedRevision) },
      ),
    );
  }

  disableEmployee(r: directoryV1.DisableEmployeeRequest, md?: Metadata): Promise<Write> {
    return this.status('DisableEmployee', r, md, 'disabled');
  }

  enableEmployee(r: directoryV1.EnableEmployeeRequest, md?: Metadata): Promise<Write> {
    return this.status('EnableEmployee', r, md, 'active');
  }

  markEmployeeLeft(r: directoryV1.MarkEmployeeLeftRequest, md?: Metadata): Promise<Write> {
    return this.status('MarkEmployeeLeft', r, md, 'left');
  }

  upsertPartner(r: directoryV1.UpsertPartnerRequest, md?: Metadata): Promise<Write> {
    return this.write('UpsertPartner', r, md, (m) => this.upsertPartnerAs(m, r));
  }

  private upsertPartnerAs(m: WriteMeta, r: directoryV1.UpsertPartnerRequest): Promise<WriteOutcome> {
    const partner = { corpId: r.corpId, name: r.name, relation: relationIn(r.relation) };
    return this.commands.partner(
      m,
      { type: 'UpsertPartner', data: { partner } },
      { expectedRevision: revisionField(r.expectedRevision) },
    );
  }

  removePartner(r: directoryV1.RemovePartnerRequest, md?: Metadata): Promise<Write> {
    return this.write('RemovePartner', r, md, (m) =>
      this.commands.partner(
        m,
        { type: 'RemovePartner', data: { corpId: r.corpId } },
        { expectedRevision: revisionField(r.expectedRevision) },
      ),
    );
  }

  upsertPartnerStaff(r: directoryV1.UpsertPartnerStaffRequest, md?: Metadata): Promise<Write> {
    return this.write('UpsertPartnerStaff', r, md, (m) => this.upsertStaffAs(m, r));
  }

  private upsertStaffAs(m: WriteMeta, r: directoryV1.UpsertPartnerStaffRequest): Promise<WriteOutcome> {
    const staff = { corpId: r.corpId, staffId: r.staffId, name: r.name };
    return this.commands.partner(
      m,
      { type: 'UpsertPartnerStaff', data: { staff } },
      { expectedRevision: revisionField(r.expectedRevision) },
    );
  }

  removePartnerStaff(r: directoryV1.RemovePartnerStaffRequest, md?: Metadata): Promise<Write> {
    return this.write('RemovePartnerStaff', r, md, (m) =>
      this.commands.partner(
        m,
        { type: 'RemovePartnerStaff', data: { corpId: r.corpId, staffId: r.staffId } },
        { expectedRevision: revisionField(r.expectedRevision) },
      ),
    );
  }

  upsertCustomer(r: directoryV1.UpsertCustomerRequest, md?: Metadata): Promise<Write> {
    return this.write('UpsertCustomer', r, md, (m) => this.upsertCustomerAs(m, r));
  }

  private upsertCustomerAs(m: WriteMeta, r: directoryV1.UpsertCustomerRequest): Promise<WriteOutcome> {
    const customer = {
      externalUserId: r.externalUserId,
      name: r.name,
      corpName: r.corpName,
      followers: r.followers,
    };
    return this.commands.customer(
      m,
      { type: 'UpsertCustomer', data: { customer } },
      { expectedRevision: revisionField(r.expectedRevision) },
    );
  }

  removeCustomer(r: directoryV1.RemoveCustomerRequest, md?: Metadata): Promise<Write> {
    return this.write('RemoveCustomer', r, md, (m) =>
      this.commands.customer(
        m,
        { type: 'RemoveCustomer', data: { externalUserId: r.externalUserId } },
        { expectedRevision: revisionField(r.expectedRevision) },
      ),
    );
  }

  importDirectory(
    r: directoryV1.ImportDirectoryRequest,
    md?: Metadata,
  ): Promise<directoryV1.ImportDirectoryResponse> {
    return edge(async () => {
      const meta = await caller(this.deps, md, 'directory.write', r.idempotencyKey);
      if (r.items.length > MAX_IMPORT_ITEMS)
        throw new DirectoryError(
          'DIRECTORY.INVALID_ARGUMENT',
          `must have at most ${MAX_IMPORT_ITEMS} items (got ${r.items.length})`,
          'items',
        );
      return this.commands.writer.once(
        meta,
        r.idempotencyKey,
        { rpc: 'ImportDirectory', items: r.items },
        () => this.importAs(meta, r.items),
      );
    });
  }

  /** Departments first, in the order given (a parent before its children); then the rest, several at once. */
  private async importAs(
    m: WriteMeta,
    items: directoryV1.ImportItem[],
  ): Promise<directoryV1.ImportDirectoryResponse> {
    const results: directoryV1.ImportItemResult[] = new Array(items.length);
    const one = async (item: directoryV1.ImportItem, index: number) => {
      const [kind, run] = this.importItem(m, item);
      try {
        const outcome = await run();
        results[index] = { index, status: 'OK', field: '', message: '', result: writeResult(outcome) };
      } catch (error) {
        const e = atField(error, kind ? `items[${index}].${kind}.` : `items[${index}]`);
        if (!(e instanceof DirectoryError)) throw error;
        results[index] = {
          index,
          status: e.code.slice('DIRECTORY.'.length),
          field: e.field ?? '',
          message: e.message,
          result: undefined,
        };
      }
    };
    const indexed = items.map((item, index) => ({ item, index }));
    for (const { item, index } of indexed.filter(({ item }) => item.department)) await one(item, index);
    const rest = indexed.filter(({ item }) => !item.department);
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(IMPORT_CONCURRENCY, rest.length) }, async () => {
        while (next < rest.length) {
          const { item, index } = rest[next++]!;
          await one(item, index);
        }
      }),
    );
    const failed = results.filter((x) => x.status !== 'OK').length;
    return { results, succeeded: results.length - failed, failed };
  }

  private importItem(m: WriteMeta, item: directoryV1.ImportItem): [string, () => Promise<WriteOutcome>] {
    // An item's own expected_revision and key are ignored: the call's key covers the batch.
    const plain = <T extends object>(x: T): T => ({ ...x, expectedRevision: undefined, idempotencyKey: '' });
    if (item.department) return ['department', () => this.upsertDepartmentAs(m, plain(item.department!))];
    if (item.employee) return ['employee', () => this.upsertEmployeeAs(m, plain(item.employee!))];
    if (item.partner) return ['partner', () => this.upsertPartnerAs(m, plain(item.partner!))];
    if (item.partnerStaff) return ['partner_staff', () => this.upsertStaffAs(m, plain(item.partnerStaff!))];
    if (item.customer) return ['customer', () => this.upsertCustomerAs(m, plain(item.customer!))];
    return [
      '',
      () =>
        Promise.reject(
          new DirectoryError(
            'DIRECTORY.INVALID_ARGUMENT',
            'must set one of department, employee, partner, partner_staff, customer',
          ),
        ),
    ];
  }

  private read<T>(
    metadata: Metadata | undefined,
    token: string,
    run: (tenantId: string) => Promise<T>,
  ): Promise<T> {
    return edge(async () => {
      const meta = await caller(this.deps, metadata, 'directory.read');
      await consistent(this.deps, token, meta);
      return run(meta.tenantId);
    });
  }

  getDepartment(
    r: directoryV1.GetDepartmentRequest,
    md?: Metadata,
  ): Promise<directoryV1.GetDepartmentResponse> {
    return this.read(md, r.consistencyToken, async (tenantId) => {
      const d = await this.db
        .getRepository(DepartmentView)
        .findOneBy({ tenantId, departmentId: r.departmentId });
      if (!d) throw notFound(`department ${r.departmentId}`, 'departmentId');
      return { department: toDepartment(d) };
    });
  }

  listDepartments(
    r: directoryV1.ListDepartmentsRequest,
    md?: Metadata,
  ): Promise<directoryV1.ListDepartmentsResponse> {
    return this.read(md, r.consistencyToken, async (tenantId) => {
      const size = pageSizeField(r.pageSize);
      const after = decodeCursor(r.pageToken, 2);
      const q = this.db
        .getRepository(DepartmentView)
        .createQueryBuilder('d')
        .where('d.tenant_id = :tenantId AND d.parent_id = :parentId', { tenantId, parentId: r.parentId })
        .orderBy('d.sort_order', 'DESC')
        .addOrderBy('d.department_id', 'ASC')
        .limit(size + 1);
      // Highest order first, then by id: the key of the last row is where the next page starts.
      if (after)
        q.andWhere('(d.sort_order < :o OR (d.sort_order = :o AND d.department_id > :id))', {
          o: after[0],
          id: after[1],
        });
      const { items, next } = page(await q.getMany(), size, (d) => [d.order, d.departmentId]);
      return { departments: items.map(toDepartment), nextPageToken: next };
    });
  }

  getEmployee(r: directoryV1.GetEmployeeRequest, md?: Metadata): Promise<directoryV1.GetEmployeeResponse> {
    return this.read(md, r.consistencyToken, async (tenantId) => {
      const e = await this.db.getRepository(EmployeeView).findOneBy({ tenantId, employeeId: r.employeeId });
      if (!e) throw notFound(`employee ${r.employeeId}`, 'employeeId');
      return { employee: toEmployee(e) };
    });
  }

  listEmployees(
    r: directoryV1.ListEmployeesRequest,
    md?: Metadata,
  ): Promise<directoryV1.ListEmployeesResponse> {
    return this.read(md, r.consistencyToken, async (tenantId) => {
      const size = pageSizeField(r.pageSize);
      const after = decodeCursor(r.pageToken, 1);
      const status = statusIn(r.status);
      const q = this.db
        .getRepository(EmployeeView)
        .createQueryBuilder('e')
        .where('e.tenant_id = :tenantId', { tenantId });
      if (r.departmentId)
        q.innerJoin(
          EmployeeDepartmentView,
          'ed',
          'ed.tenant_id = e.tenant_id AND ed.employee_id = e.employee_id AND ed.department_id = :dept',
          { dept: r.departmentId },
        );
      if (status) q.andWhere('e.status = :status', { status });
      if (after) q.andWhere('e.employee_id > :after', { after: after[0] });
      const rows = await q
        .orderBy('e.employee_id', 'ASC')
        .limit(size + 1)
        .getMany();
      const { items, next } = page(rows, size, (e) => [e.employeeId]);
      return { employees: items.map(toEmployee), nextPageToken: next };
    });
  }

  getPartner(r: directoryV1.GetPartnerRequest, md?: Metadata): Promise<directoryV1.GetPartnerResponse> {
    return this.read(md, r.consistencyToken, async (tenantId) => {
      const p = await this.db.getRepository(PartnerView).findOneBy({ tenantId, corpId: r.corpId });
      if (!p) throw notFound(`partner enterprise ${r.corpId}`, 'corpId');
      const staff = await this.db
        .getRepository(PartnerStaffView)
        .find({ where: { tenantId, corpId: r.corpId }, order: { staffId: 'ASC' } });
      return { partner: toPartner(p, staff) };
    });
  }

  getCustomer(r: directoryV1.GetCustomerRequest, md?: Metadata): Promise<directoryV1.GetCustomerResponse> {
    return this.read(md, r.consistencyToken, async (tenantId) => {
      const c = await this.db
        .getRepository(CustomerView)
        .findOneBy({ tenantId, externalUserId: r.externalUserId });
      if (!c) throw notFound(`customer ${r.externalUserId}`, 'externalUserId');
      return { customer: toCustomer(c) };
    });
  }

  listCustomers(
    r: directoryV1.ListCustomersRequest,
    md?: Metadata,
  ): Promise<directoryV1.ListCustomersResponse> {
    return this.read(md, r.consistencyToken, async (tenantId) => {
      const size = pageSizeField(r.pageSize);
      const after = decodeCursor(r.pageToken, 1);
      const q = this.db
        .getRepository(CustomerView)
        .createQueryBuilder('c')
        .where('c.tenant_id = :tenantId', { tenantId });
      if (r.followerId)
        q.innerJoin(
          CustomerFollowerView,
          'f',
          'f.tenant_id = c.tenant_id AND f.external_user_id = c.external_user_id AND f.employee_id = :follower',
          { follower: r.followerId },
        );
      if (after) q.andWhere('c.external_user_id > :after', { after: after[0] });
      const rows = await q
        .orderBy('c.external_user_id', 'ASC')
        .limit(size + 1)
        .getMany();
      const { items, next } = page(rows, size, (c) => [c.externalUserId]);
      return { customers: items.map(toCustomer), nextPageToken: next };
    });
  }
}
