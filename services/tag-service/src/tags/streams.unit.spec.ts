import type { RecordedEvent } from '@tagguard/event-store';
import { entityIdOf, membersStream, taskStream } from './streams';

// Two tenants never share a stream, whatever dots their ids carry; existing names stay as they were.
describe('tag-service streams', () => {
  it('given tenant acme tag x.y and tenant acme.x tag y, then their streams differ', () => {
    expect(membersStream('acme', 'x.y')).not.toBe(membersStream('acme.x', 'y'));
    expect(taskStream('acme', 'x.y')).not.toBe(taskStream('acme.x', 'y'));
  });

  it('given an ordinary tenant id, then the stream keeps its name', () => {
    expect(membersStream('tenant-a', 'tag-1')).toBe('tagMembers-tenant-a.tag-1');
  });

  it('given a dotted tenant, then the tag id is read back whole from its stream', () => {
    const event = { streamId: membersStream('acme.x', 'y'), metadata: { tenantId: 'acme.x' } };
    expect(entityIdOf(event as RecordedEvent)).toBe('y');
  });
});
