import { InProcessTransport } from './in-process-transport';

const message = (type: string) => ({
  topic: 't.public.tag.events.v1',
  key: 'k',
  eventId: type,
  type,
  schemaVersion: 1,
  data: {},
  metadata: { tenantId: 't', actorId: 'u', correlationId: 'c', occurredAt: '2026-11-24T00:00:00Z' },
});

describe('InProcessTransport', () => {
  it('resolves publish only after every subscribed group has handled the messages (what a relay checkpoints on)', async () => {
    const transport = new InProcessTransport();
    await transport.ensureTopics(['t.public.tag.events.v1']);
    const handled: string[] = [];
    for (const groupId of ['a.one', 'b.two'])
      await transport.subscribe({
        groupId,
        topics: ['t.public.tag.events.v1'],
        handle: async (m) => {
          await new Promise((r) => setTimeout(r, 5));
          handled.push(`${groupId}:${m.type}`);
        },
      });
    await (await transport.publisher()).publish([message('X'), message('Y')]);
    expect(handled.sort()).toEqual(['a.one:X', 'a.one:Y', 'b.two:X', 'b.two:Y']);
  });

  it('refuses an unknown topic and a second member of a group, like a misconfigured consumer would be', async () => {
    const transport = new InProcessTransport();
    await expect((await transport.publisher()).publish([message('X')])).rejects.toThrow('does not exist');
    await transport.subscribe({ groupId: 'g.one', topics: ['x'], handle: async () => undefined });
    await expect(
      transport.subscribe({ groupId: 'g.one', topics: ['x'], handle: async () => undefined }),
    ).rejects.toThrow('already has a member');
  });
});
