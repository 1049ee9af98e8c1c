import { fromRecord, toHeaders, type IntegrationMessage } from './message';

const message: IntegrationMessage = {
  topic: 'tag-service.public.tag.events.v1',
  key: 'tag-1',
  eventId: '6f1c2a9e-3d5b-4a7c-9e8f-1a2b3c4d5e6f',
  type: 'TagCreated',
  schemaVersion: 1,
  data: { name: 'VIP客户' },
  metadata: {
    tenantId: 'tenant-a',
    actorId: 'user-1',
    correlationId: 'corr-1',
    causationId: 'cause-1',
    occurredAt: '2026-11-24T10:00:00.000Z',
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  },
};

describe('envelope headers', () => {
  it('given a message, when written to headers and read back, then nothing is lost', () => {
    expect(fromRecord(message.topic, message.key, JSON.stringify(message.data), toHeaders(message))).toEqual(
      message,
    );
  });

  it('given a record without envelope headers, then reading it names what is missing', () => {
    const headers = toHeaders(message);
    delete headers['tg-tenant-id'];
    expect(() => fromRecord(message.topic, message.key, '{}', headers)).toThrow(
      'lacks envelope headers: tg-tenant-id',
    );
  });
});
