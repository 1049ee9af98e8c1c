import type { RecordedEvent } from '@tagguard/event-store';
import { DIRECTORY_EVENTS_TOPIC_V1, parseDirectoryIntegrationEventV1 } from '@tagguard/contracts';
import { toIntegrationMessage } from './directory-events.translation';

const recorded = (type: string, data: unknown, streamId: string): RecordedEvent => ({
  id: '00000000-0000-4000-8000-000000000001',
  type,
  data,
  schemaVersion: 1,
  streamId,
  revision: 4n,
  position: { commit: 1n, prepare: 1n },
  recordedAt: new Date(),
  metadata: { tenantId: 't1', actorId: 'a', correlationId: 'c', occurredAt: '' },
});

describe('directory events translation', () => {
  it('publishes the status change with the object key, the tenant and the revision', () => {
    const m = toIntegrationMessage(
      recorded(
        'EmployeeStatusChanged',
        { employeeId: 'zs', status: 'left', previousStatus: 'active' },
        'directoryEmployee-t1.zs',
      ),
    );
    expect(m).toMatchObject({
      topic: DIRECTORY_EVENTS_TOPIC_V1,
      key: 't1/employee/zs',
      type: 'directory.employee_status_changed.v1',
      data: { tenantId: 't1', revision: '4', employeeId: 'zs', status: 'left', previousStatus: 'active' },
    });
    expect(() => parseDirectoryIntegrationEventV1(m.type, m.data)).not.toThrow();
  });

  it('keys partner staff by corp and staff id', () => {
    const m = toIntegrationMessage(
      recorded('PartnerStaffRemoved', { corpId: 'wc', staffId: 's1' }, 'directoryPartner-t1.wc'),
    );
    expect(m.key).toBe('t1/partner_staff/wc/s1');
  });

  it('refuses an event it does not know (the relay parks it)', () => {
    expect(() => toIntegrationMessage(recorded('Mystery', {}, 'directoryEmployee-t1.x'))).toThrow(/Mystery/);
  });
});
