import { randomBytes, randomUUID } from 'node:crypto';
import { eventually } from '@tagguard/testing';
import { customers, TagServiceHarness, type Caller } from './testing/tag-service-harness';

type Line = Record<string, unknown>;

// The JSON lines tag-service (an OS process, no OpenTelemetry exporter configured) writes to stdout,
// read as an operator reads them: can a person tell from one line who failed to do what, and why, and
// find every other line of the same request?
describe('tag-service log lines a person can act on', () => {
  let svc: TagServiceHarness;
  let admin: Caller;
  beforeAll(async () => {
    expect(process.env['OTEL_TRACES_EXPORTER'] ?? 'none').toBe('none');
    svc = await TagServiceHarness.start({ OTEL_TRACES_EXPORTER: 'none' });
  });
  afterAll(() => svc?.stop());
  beforeEach(() => {
    admin = TagServiceHarness.admin();
  });

  const traceparent = (): { traceId: string; header: string } => {
    const traceId = randomBytes(16).toString('hex');
    return { traceId, header: `00-${traceId}-${randomBytes(8).toString('hex')}-01` };
  };
  const linesOf = (traceId: string): Line[] => svc.logLines.filter((l) => l['trace_id'] === traceId);
  const callLine = (traceId: string): Promise<Line> =>
    eventually(() => {
      const line = linesOf(traceId).find((l) => l['event'] === 'grpc.call');
      if (!line) throw new Error(`no grpc.call line with trace ${traceId} yet`);
      return line;
    });

  it("a failed call says tenant, actor, method, status, error code and message, under the caller's trace id", async () => {
    const { traceId, header } = traceparent();
    const tagId = randomUUID();
    await expect(svc.call('tags', 'GetTag', { tagId }, admin, { traceparent: header })).rejects.toMatchObject(
      {
        code: 5,
      },
    );

    const line = await callLine(traceId);
    expect(line).toMatchObject({
      level: 'info',
      tenantId: admin.tenantId,
      actorId: admin.actorId,
      method: 'tagguard.tag.v1.TagService/GetTag',
      code: 5,
      status: 'NOT_FOUND',
      errorCode: expect.stringMatching(/NOT_FOUND$/),
      error: expect.stringContaining(tagId),
      span_id: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    expect(line['msg']).toEqual(expect.stringContaining('NOT_FOUND'));
    expect(line['msg']).toEqual(expect.stringContaining(tagId));
  });

  it('a request refused at the edge names the field in its log line', async () => {
    const { traceId, header } = traceparent();
    await expect(
      svc.call('tags', 'CreateTag', { tagId: randomUUID(), name: 'a\u0000b' }, admin, {
        traceparent: header,
      }),
    ).rejects.toMatchObject({ code: 3 });
    expect(await callLine(traceId)).toMatchObject({
      status: 'INVALID_ARGUMENT',
      errorCode: 'REQUEST.INVALID_ARGUMENT',
      field: 'name',
      error: expect.stringContaining('U+0000'),
      method: 'tagguard.tag.v1.TagService/CreateTag',
    });
  });

  it('a call without a traceparent gets a fresh W3C trace id, and a successful call logs OK under it', async () => {
    const before = svc.logLines.length;
    await svc.call('tags', 'ListTags', {}, admin);
    const line = await eventually(() => {
      const found = svc.logLines
        .slice(before)
        .find((l) => l['event'] === 'grpc.call' && l['method'] === 'tagguard.tag.v1.TagService/ListTags');
      if (!found) throw new Error('no ListTags line yet');
      return found;
    });
    expect(line).toMatchObject({
      status: 'OK',
      code: 0,
      tenantId: admin.tenantId,
      trace_id: expect.stringMatching(/^(?!0{32})[0-9a-f]{32}$/),
    });
  });

  it("a critical sensitive operation and the freeze it causes log at warn, with the request's trace id", async () => {
    const manager = { ...admin, actorId: 'manager-east' };
    await svc.call(
      'governance',
      'ConfigurePolicy',
      { policy: { warningThreshold: 1, criticalThreshold: 2, retentionHours: 24, approvalTtlHours: 1 } },
      admin,
    );
    const tagId = randomUUID();
    await svc.call('tags', 'CreateTag', { tagId, name: 'VIP', kind: 'TAG_KIND_CUSTOMER' }, admin);
    await svc.call('members', 'AddMembers', { tagId, members: customers(3) }, admin);

    const { traceId, header } = traceparent();
    await svc.call('tags', 'DeleteTag', { tagId, expectedRevision: '0' }, manager, { traceparent: header });

    await callLine(traceId);
    const lines = linesOf(traceId);
    expect(lines.find((l) => l['event'] === 'governance.critical_operation')).toMatchObject({
      level: 'warn',
      tenantId: admin.tenantId,
      actorId: 'manager-east',
      operator: 'manager-east',
      msg: expect.stringContaining('critical'),
    });
    expect(lines.find((l) => l['event'] === 'governance.operator_frozen')).toMatchObject({
      level: 'warn',
      operator: 'manager-east',
    });
    // Every line of that request carries the same trace id, and the caller's tenant.
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(lines.every((l) => l['tenantId'] === admin.tenantId)).toBe(true);
  });
});
