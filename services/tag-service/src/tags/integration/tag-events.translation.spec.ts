import {
  parseAccessDeniedIntegrationEventV1,
  parseTagIntegrationEventV1,
  TAG_ACCESS_DENIED_TOPIC_V1,
  TAG_EVENTS_TOPIC_V1,
} from '@tagguard/contracts';
import { withAccessDenials } from '@tagguard/grpc-runtime';
import { directoryPolicyStream } from '../directory-copy/directory-policy';
import type { RecordedEvent } from '@tagguard/event-store';
import { catalogStream, membersStream, rebuildStream } from '../streams';
import { toIntegrationMessage } from './tag-events.translation';

const recorded = (streamId: string, type: string, data: object, revision: bigint): RecordedEvent => ({
  id: '6f1c2a9e-3d5b-4a7c-9e8f-1a2b3c4d5e6f',
  type,
  schemaVersion: 1,
  data,
  metadata: {
    tenantId: 'tenant-a',
    actorId: 'u1',
    correlationId: 'c1',
    occurredAt: '2026-11-24T00:00:00.000Z',
    idempotency: { key: 'k', requestHash: 'h', result: {} },
  },
  streamId,
  revision,
  position: { commit: 1n, prepare: 1n },
  recordedAt: new Date(),
});

describe('tag domain events → tag.*.v1 integration events', () => {
  it('given NodeRenamed, then tag.renamed.v1 on the tag topic keyed by tag id, which parses back, without the idempotency answer', () => {
    const message = toIntegrationMessage(
      recorded(
        catalogStream('tenant-a'),
        'NodeRenamed',
        { nodeId: 'tag-1', name: '意向客户', previousName: 'VIP客户' },
        3n,
      ),
    )!;
    expect(message).toMatchObject({ topic: TAG_EVENTS_TOPIC_V1, key: 'tag-1', type: 'tag.renamed.v1' });
    expect(message.metadata).not.toHaveProperty('idempotency');
    expect(parseTagIntegrationEventV1(message.type, message.data)).toEqual({
      type: 'tag.renamed.v1',
      data: {
        tenantId: 'tenant-a',
        tagId: 'tag-1',
        name: '意向客户',
        previousName: 'VIP客户',
        revision: '3',
      },
    });
  });

  it('given MembersRemoved on a members stream, then tag.members_removed.v1 keyed by the tag', () => {
    const message = toIntegrationMessage(
      recorded(
        membersStream('tenant-a', 'tag-1'),
        'MembersRemoved',
        { tagId: 'tag-1', members: [{ kind: 'customer', id: 'c1' }], actorRoles: [], source: 'api' },
        0n,
      ),
    )!;
    expect(message).toMatchObject({
      key: 'tag-1',
      type: 'tag.members_removed.v1',
      data: { tagId: 'tag-1', members: [{ kind: 'customer', id: 'c1' }], source: 'api' },
    });
  });

  it('rejects an unknown type or a payload without its tenant', () => {
    expect(() => parseTagIntegrationEventV1('tag.created.v1', { revision: '0' })).toThrow('field "tenantId"');
    expect(() => parseTagIntegrationEventV1('tag.exploded.v1', {})).toThrow(
      'unknown tag integration event type',
    );
  });
});

describe('accepted changes that used to stay private are published (issue 14 item 1)', () => {
  it.each([
    [catalogStream('tenant-a'), 'NodeReordered', { nodeId: 'tag-1', order: 3 }, 'tag.reordered.v1'],
    [
      catalogStream('tenant-a'),
      'NodeDescribed',
      { nodeId: 'tag-1', description: '高价值' },
      'tag.described.v1',
    ],
    [
      catalogStream('tenant-a'),
      'PolicyConfigured',
      { warningThreshold: 10, criticalThreshold: 100, retentionHours: 72, approvalTtlHours: 24 },
      'tag.policy_configured.v1',
    ],
    [
      catalogStream('tenant-a'),
      'AutomationRuleDefined',
      { ruleId: 'r1', tagId: 'tag-1', assigneeId: 'e1', dueInHours: 24, guideTemplate: 'x' },
      'tag.automation_defined.v1',
    ],
    [catalogStream('tenant-a'), 'AutomationRuleRemoved', { ruleId: 'r1' }, 'tag.automation_removed.v1'],
    [
      catalogStream('tenant-a'),
      'RevertRuleDefined',
      { ruleId: 'r2', tagId: 'tag-1', type: 'removal_rate_limit', maxPerHour: 5 },
      'tag.revert_rule_defined.v1',
    ],
    [catalogStream('tenant-a'), 'RevertRuleRemoved', { ruleId: 'r2' }, 'tag.revert_rule_removed.v1'],
    [
      catalogStream('tenant-a'),
      'RestoreApplied',
      {
        restoreId: 'x',
        rootId: null,
        asOf: '2026-11-23T00:00:00Z',
        level: 'none',
        approvedBy: null,
        changes: 2,
      },
      'tag.restore_applied.v1',
    ],
    [
      directoryPolicyStream('tenant-a'),
      'DirectoryPolicySet',
      { departedMembers: 'remove', setBy: 'u1' },
      'tag.directory_policy_set.v1',
    ],
    [
      rebuildStream('tenant-a', 'rb-1'),
      'ReadModelsRebuilt',
      { rebuildId: 'rb-1', verifyOnly: false, acceptDifferences: true, outcome: 'swapped', differences: 1 },
      'tag.read_models_rebuilt.v1',
    ],
  ])('given %s %s, then %s on the tag topic, which parses back', (stream, type, data, published) => {
    const message = toIntegrationMessage(recorded(stream, type, data, 1n))!;
    expect(message).toMatchObject({ topic: TAG_EVENTS_TOPIC_V1, type: published });
    expect(parseTagIntegrationEventV1(message.type, message.data).type).toBe(published);
  });

  it('given an AccessDenied, then the relay translation puts access.denied.v1 on the denial topic', () => {
    const translate = withAccessDenials(TAG_ACCESS_DENIED_TOPIC_V1, toIntegrationMessage);
    const message = translate(
      recorded(
        'accessDenial-tenant-a.6f1c2a9e',
        'AccessDenied',
        {
          rpc: '/tagguard.tag.v1.TagService/DeleteTag',
          roles: [],
          resource: null,
          code: 'TAG.OPERATOR_FROZEN',
          reason: 'frozen',
        },
        0n,
      ),
    )!;
    expect(message).toMatchObject({
      topic: TAG_ACCESS_DENIED_TOPIC_V1,
      type: 'access.denied.v1',
      key: 'tenant-a',
    });
    expect(parseAccessDeniedIntegrationEventV1(message.type, message.data).data).toMatchObject({
      actorId: 'u1',
      code: 'TAG.OPERATOR_FROZEN',
    });
  });
});
