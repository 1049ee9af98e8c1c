import { deadLetterTopic, topicName } from './topics';

describe('topicName', () => {
  it('given a spec, then it is <service>.<visibility>.<aggregate>.<event>.v<N>', () => {
    expect(
      topicName({
        service: 'tag-service',
        visibility: 'public',
        aggregate: 'tag',
        event: 'events',
        version: 1,
      }),
    ).toBe('tag-service.public.tag.events.v1');
  });

  it.each([
    [
      { service: 'Tag', visibility: 'public' as const, aggregate: 'tag', event: 'events', version: 1 },
      'service',
    ],
    [
      {
        service: 'tag-service',
        visibility: 'public' as const,
        aggregate: 'tag group',
        event: 'events',
        version: 1,
      },
      'aggregate',
    ],
    [
      {
        service: 'tag-service',
        visibility: 'public' as const,
        aggregate: 'tag',
        event: 'events',
        version: 0,
      },
      'version',
    ],
  ])('rejects a malformed part (%#) naming it', (spec, field) => {
    expect(() => topicName(spec)).toThrow(field);
  });

  it('names the dead-letter topic after the consumer group', () => {
    expect(deadLetterTopic('audit-service.audit-trail')).toBe('audit-service.audit-trail.dlt');
  });
});
