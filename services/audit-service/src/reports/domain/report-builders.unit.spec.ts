import {
  buildCriticalOperationReport,
  buildRestoreReport,
  buildTemporaryUnmuteReport,
  buildWeeklyReport,
} from './report-builders';
import { startOfWeekId, weekId, weekStart } from './iso-week';
import { parseReportId, reportKindOf, type TrailRecord } from './report';

let leaf = 0;
const rec = (
  eventType: string,
  data: Record<string, unknown>,
  over: Partial<TrailRecord> = {},
): TrailRecord => ({
  leafIndex: leaf++,
  eventId: `00000000-0000-4000-8000-${String(leaf).padStart(12, '0')}`,
  eventType,
  actorId: 'intern-1',
  subjectId: 'tag-vip',
  correlationId: 'corr-1',
  occurredAt: `2026-11-30T10:00:${String(leaf % 60).padStart(2, '0')}.000Z`,
  recordedAt: '2026-11-30T10:01:00.000Z',
  data,
  ...over,
});
const fact = (facts: [string, string][], label: string) => facts.find(([l]) => l === label)?.[1];

describe('operation report builders', () => {
  describe('given a recycle-bin restore of a subtree', () => {
    const restored = rec('tag.restored.v1', {
      tagId: 'g1',
      tagIds: ['g1', 't1', 't2'],
      restoredBy: 'admin-1',
    });
    it('when the report is built, then it names the restorer, every tag and the record it is built from', () => {
      const r = buildRestoreReport('tenant-a', [restored], []);
      expect(r.id).toBe(`restore:${restored.eventId}`);
      expect(fact(r.facts, 'restored by')).toBe('admin-1');
      expect(fact(r.facts, 'tags restored')).toBe('3');
      expect(r.sections[0]!.rows.map((row) => row[0])).toEqual(['g1', 't1', 't2']);
      expect(r.basedOn).toEqual([
        { leafIndex: restored.leafIndex, eventId: restored.eventId, eventType: 'tag.restored.v1' },
      ]);
    });
  });

  describe('given a point-in-time restore of two tags (one restore id) and its sibling record', () => {
    const a = rec('tag.restored_to_point.v1', {
      tagId: 't1',
      restoreId: 'r1',
      asOf: '2026-11-29T10:00:00Z',
      name: 'VIP客户',
      parentId: null,
      status: 'active',
    });
    const b = rec('tag.restored_to_point.v1', {
      tagId: 't2',
      restoreId: 'r1',
      asOf: '2026-11-29T10:00:00Z',
      name: 'VIP2',
      parentId: 't1',
      status: 'binned',
    });
    const sibling = rec('tag.members_added.v1', { tagId: 't1', members: [] });
    it('when the report is built, then it is one report of the first record, as of the restore point, with all three records', () => {
      const r = buildRestoreReport('tenant-a', [a, b], [sibling]);
      expect(r.id).toBe(`restore:${a.eventId}`);
      expect(r.title).toBe('Point-in-time restore as of 2026-11-29T10:00:00Z');
      expect(r.sections[0]!.rows).toEqual([
        ['t1', 'VIP客户', 'active', ''],
        ['t2', 'VIP2', 'binned', 't1'],
      ]);
      expect(r.basedOn.map((x) => x.eventId)).toEqual([a.eventId, b.eventId, sibling.eventId]);
    });
  });

  describe('given a point-in-time restore recorded as a whole (tag.restore_applied.v1) with its per-tag effect', () => {
    const applied = rec('tag.restore_applied.v1', {
      restoreId: 'r2',
      rootId: 'g1',
      asOf: '2026-11-29T10:00:00Z',
      level: 'critical',
      approvedBy: 'so-1',
      changes: 1,
    });
    const effect = rec('tag.restored_to_point.v1', {
      tagId: 't1',
      restoreId: 'r2',
      asOf: '2026-11-29T10:00:00Z',
      name: 'VIP客户',
      parentId: 'g1',
      status: 'active',
    });
    it('when the report is built, then it is the restore_applied record’s, with its level, approval and the tag it reset', () => {
      const r = buildRestoreReport('tenant-a', [effect, applied], []);
      expect(r.id).toBe(`restore:${applied.eventId}`);
      expect(fact(r.facts, 'level')).toBe('critical');
      expect(fact(r.facts, 'approved by')).toBe('so-1');
      expect(fact(r.facts, 'root')).toBe('g1');
      expect(r.sections[0]!.rows).toEqual([['t1', 'VIP客户', 'active', 'g1']]);
      expect(reportKindOf(applied)).toBe('restore');
    });
  });

  describe('given a critical delete with its notifications, a freeze and an approval', () => {
    const detected = rec('tag.sensitive_operation_detected.v1', {
      operationId: 'op-1',
      level: 'critical',
      operation: 'tag.delete',
      actorId: 'manager-1',
      actorDepartment: 'east',
      affected: [{ tagId: 'vip', name: 'VIP客户', memberCount: 240 }],
      totalMembers: 240,
      beforeState: '{}',
      approvedBy: null,
    });
    const hq = rec('tag.notification_requested.v1', {
      notificationId: 'n1',
      channel: 'hq_audit',
      operationId: 'op-1',
      level: 'critical',
      summary: 'VIP deleted',
    });
    const so = rec('tag.notification_requested.v1', {
      notificationId: 'n2',
      channel: 'security_officer',
      operationId: 'op-1',
      level: 'critical',
      summary: 'VIP deleted',
    });
    const frozen = rec('tag.operator_frozen.v1', {
      actorId: 'manager-1',
      operationId: 'op-1',
      reason: 'critical delete',
    });
    const approval = rec('tag.approval_decided.v1', { approvalId: 'ap-1', decision: 'rejected', by: 'so-1' });
    it('when the report is built, then it states who, what, how many members, the freeze, each notification and the approval', () => {
      const r = buildCriticalOperationReport('tenant-a', detected, [so, frozen, hq, approval]);
      expect(fact(r.facts, 'actor')).toBe('manager-1');
      expect(fact(r.facts, 'actor department')).toBe('east');
      expect(fact(r.facts, 'members affected')).toBe('240');
      expect(fact(r.facts, 'approved by')).toBe('(no approval)');
      expect(fact(r.facts, 'operator frozen')).toBe('yes (critical delete)');
      expect(r.sections.find((s) => s.title === 'Notifications')!.rows.map((row) => row[1])).toEqual([
        'security_officer',
        'hq_audit',
      ]);
      expect(r.sections.find((s) => s.title === 'Approvals')!.rows).toEqual([
        ['ap-1', 'tag.approval_decided.v1', 'rejected', 'so-1'],
      ]);
      expect(r.basedOn.map((x) => x.eventId)).toEqual(
        [detected, hq, so, frozen, approval].map((x) => x.eventId),
      );
    });
    it('when the detection is only a warning, then it starts no report', () => {
      expect(reportKindOf({ ...detected, data: { ...detected.data, level: 'warning' } })).toBeUndefined();
      expect(reportKindOf(detected)).toBe('critical_operation');
    });
  });

  // The record as mute-service's unmute store publishes it (unmute-store.ts: data.report = reportV1(report)).
  describe('given a recorded mute.temporary_unmute_ended.v1 carrying its operation report', () => {
    const ended = rec(
      'mute.temporary_unmute_ended.v1',
      {
        tenantId: 'tenant-a',
        revision: '1',
        position: '0',
        unmuteId: 'u-1',
        tagId: 'tag-vip',
        endedAt: '2026-11-30T14:00:00.000Z',
        messagesLetThrough: 2,
        report: {
          unmuteId: 'u-1',
          tenantId: 'tenant-a',
          tagId: 'tag-vip',
          tagName: 'VIP 客户',
          unmutedBy: 'manager-1',
          startedAt: '2026-11-30T10:00:00.000Z',
          plannedEndAt: '2026-11-30T14:00:00.000Z',
          endedAt: '2026-11-30T14:00:00.000Z',
          endedBy: 'system',
          reason: 'expired',
          durationMs: 4 * 3_600_000,
          messages: [
            {
              messageId: 'm-1',
              recipientId: 'e-1',
              sender: 'external_customer:wm-1',
              senderCorpId: null,
              sentAt: '2026-11-30T11:00:00.000Z',
              otherwise: 'SILENT',
            },
            {
              messageId: 'm-2',
              recipientId: 'e-2',
              sender: 'partner_staff:corp-x/s-1',
              senderCorpId: 'corp-x',
              sentAt: '2026-11-30T12:30:00.000Z',
              otherwise: 'HOLD',
            },
          ],
          messageCount: 2,
          recipientCount: 2,
          senderCount: 2,
        },
      },
      { actorId: 'system', subjectId: 'tenant-a/unmute/u-1' },
    );
    it('when the report is built, then it says who unmuted which tag, when, how long, and each message let through', () => {
      const r = buildTemporaryUnmuteReport('tenant-a', ended, []);
      expect(reportKindOf(ended)).toBe('temporary_unmute');
      expect(r.id).toBe(`temporary_unmute:${ended.eventId}`);
      expect(r.title).toBe('Temporary unmute of VIP 客户 by manager-1');
      expect([r.periodStart, r.periodEnd]).toEqual(['2026-11-30T10:00:00.000Z', '2026-11-30T14:00:00.000Z']);
      expect(fact(r.facts, 'tag')).toBe('VIP 客户 (tag-vip)');
      expect(fact(r.facts, 'unmuted by')).toBe('manager-1');
      expect(fact(r.facts, 'lasted')).toBe('4 h 0 min');
      expect(fact(r.facts, 'ended because')).toBe('expired');
      expect(fact(r.facts, 'messages let through')).toBe('2');
      expect(r.sections[0]).toEqual({
        title: 'Messages let through',
        columns: ['sent at', 'message id', 'recipient', 'sender', 'sender enterprise', 'otherwise'],
        rows: [
          ['2026-11-30T11:00:00.000Z', 'm-1', 'e-1', 'external_customer:wm-1', '', 'SILENT'],
          ['2026-11-30T12:30:00.000Z', 'm-2', 'e-2', 'partner_staff:corp-x/s-1', 'corp-x', 'HOLD'],
        ],
      });
      expect(r.basedOn.map((b) => b.eventId)).toEqual([ended.eventId]);
    });
    it('when the record carries no report, then it shows what the record has and says the list is not in it', () => {
      const { report: _none, ...bare } = ended.data;
      const r = buildTemporaryUnmuteReport('tenant-a', { ...ended, data: bare }, []);
      expect(fact(r.facts, 'messages let through')).toBe('2');
      expect(fact(r.facts, 'ended at')).toBe('2026-11-30T14:00:00.000Z');
      expect(r.sections[0]).toMatchObject({ title: 'Messages let through (not in the record)', rows: [] });
    });
  });

  describe('given a week with three kinds of operation, a critical and a warning detection and two notifications', () => {
    const start = startOfWeekId('2026-W49')!;
    const critical = rec('tag.sensitive_operation_detected.v1', {
      level: 'critical',
      operation: 'tag.delete',
      actorId: 'm1',
      totalMembers: 240,
      approvedBy: 'so-1',
    });
    const warning = rec('tag.sensitive_operation_detected.v1', {
      level: 'warning',
      operation: 'tag.members_removed',
    });
    const n1 = rec('tag.notification_requested.v1', { notificationId: 'n1', channel: 'hq_audit' });
    const n2 = rec('tag.notification_requested.v1', { notificationId: 'n2', channel: 'security_officer' });
    const week = {
      start,
      end: new Date(start.getTime() + 7 * 86_400_000),
      countsByType: new Map([
        ['tag.created.v1', 10],
        ['tag.sensitive_operation_detected.v1', 2],
        ['tag.notification_requested.v1', 2],
      ]),
      detections: [critical, warning],
      notifications: [n1, n2],
    };
    it('when no delivery attempt is audited, then it counts operations by kind, lists the critical one, and says delivery is pending', () => {
      const r = buildWeeklyReport('tenant-a', { ...week, deliveries: [] });
      expect(r.id).toBe('weekly:2026-W49');
      expect(fact(r.facts, 'trail records')).toBe('14');
      expect(fact(r.facts, 'critical operations')).toBe('1');
      expect(fact(r.facts, 'warnings')).toBe('1');
      expect(fact(r.facts, 'notification delivery')).toMatch(/^pending/);
      expect(r.sections[0]!.rows).toEqual([
        ['tag.created.v1', '10'],
        ['tag.notification_requested.v1', '2'],
        ['tag.sensitive_operation_detected.v1', '2'],
      ]);
      expect(r.sections[1]!.rows.map((row) => row[6])).toEqual([`critical_operation:${critical.eventId}`]);
      expect(r.sections[2]!.rows).toEqual([
        ['hq_audit', '1', 'pending: 1'],
        ['security_officer', '1', 'pending: 1'],
      ]);
    });
    it('when delivery attempts are audited, then each notification shows its last status per channel', () => {
      const attempt = (ids: string[], channelId: string, status: string) =>
        rec('audit.notification_delivery_attempted.v1', { notificationIds: ids, channelId, status });
      const r = buildWeeklyReport('tenant-a', {
        ...week,
        deliveries: [
          attempt(['n1'], 'hq-webhook', 'retrying'),
          attempt(['n1', 'n2'], 'so-mail', 'delivered'),
          attempt(['n1'], 'hq-webhook', 'dead'),
        ],
      });
      expect(fact(r.facts, 'notification delivery')).toBe(
        'from the 3 delivery attempts audited in the trail this week',
      );
      expect(r.sections[2]!.rows).toEqual([
        ['hq_audit', '1', 'dead: 1, delivered: 1'],
        ['security_officer', '1', 'delivered: 1'],
      ]);
    });
  });

  describe('given ISO weeks and report ids', () => {
    it('when a date is mapped to its week, then Monday 00:00 UTC starts it and the ISO year is the Thursday’s', () => {
      expect(weekStart(new Date('2026-12-01T18:00:00Z')).toISOString()).toBe('2026-11-30T00:00:00.000Z');
      expect(weekId(weekStart(new Date('2026-12-01T18:00:00Z')))).toBe('2026-W49');
      expect(weekId(weekStart(new Date('2021-01-03T12:00:00Z')))).toBe('2020-W53');
      expect(startOfWeekId('2025-W53')).toBeUndefined();
      expect(startOfWeekId('2026-W53')!.toISOString()).toBe('2026-12-28T00:00:00.000Z');
      expect(startOfWeekId('2020-W53')!.toISOString()).toBe('2020-12-28T00:00:00.000Z');
    });
    it('when an id is not one ListReports gives, then it is refused', () => {
      expect(parseReportId('weekly:2026-W49')).toEqual({ kind: 'weekly', key: '2026-W49' });
      for (const bad of ['weekly:2026-49', 'restore:nope', 'other:00000000-0000-4000-8000-000000000001', ''])
        expect(() => parseReportId(bad)).toThrow('is not an id ListReports returned');
    });
  });
});
