import type { MessageHandler } from '@nestjs/microservices';
import type { IntegrationMessage } from '../message';
import { InProcessTransport } from '../transport/in-process-transport';
import { bindEventHandlers } from './bind-event-handlers';

const TOPIC = 'test-service.public.thing.events.v1';

function handler(group: string, seen: string[]): MessageHandler {
  const h = (async (message: IntegrationMessage) => {
    seen.push(`${group}:${message.eventId}`);
  }) as unknown as MessageHandler;
  h.isEventHandler = true;
  h.extras = { group };
  return h;
}

const message = (eventId: string): IntegrationMessage => ({
  topic: TOPIC,
  key: 'k',
  eventId,
  type: 'thing.happened.v1',
  schemaVersion: 1,
  data: {},
  metadata: { tenantId: 't', actorId: 'a', correlationId: 'c', occurredAt: new Date(0).toISOString() },
});

describe('bindEventHandlers', () => {
  it('given two handlers chained on one topic in different groups, when a message is published, then each group handles it once', async () => {
    const seen: string[] = [];
    const first = handler('audit-trail', seen);
    first.next = handler('notifications', seen);
    const transport = new InProcessTransport();
    await transport.ensureTopics([TOPIC]);
    const subscriptions = await bindEventHandlers(new Map([[TOPIC, first]]), transport, 'svc');
    await (await transport.publisher()).publish([message('e1')]);
    expect(seen.sort()).toEqual(['audit-trail:e1', 'notifications:e1']);
    await Promise.all(subscriptions.map((s) => s.stop()));
  });

  it('given two handlers of one topic in the same group, when bound, then it refuses', async () => {
    const first = handler('events', []);
    first.next = handler('events', []);
    await expect(
      bindEventHandlers(new Map([[TOPIC, first]]), new InProcessTransport(), 'svc'),
    ).rejects.toThrow(/two @EventPattern handlers in svc.events/);
  });
});
