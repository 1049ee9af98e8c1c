import { NOTIFICATION_DELIVERY_EVENT_TYPES, type Report, type TrailRecord } from './report';
import { weekId } from './iso-week';

const str = (value: unknown): string =>
  value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
const cited = (records: TrailRecord[]): Report['basedOn'] =>
  records.map((r) => ({ leafIndex: r.leafIndex, eventId: r.eventId, eventType: r.eventType }));
const recordsSection = (records: TrailRecord[]) => ({
  title: 'Trail records',
  columns: ['leaf index', 'event id', 'event type', 'actor', 'occurred at', 'correlation id'],
  rows: records.map((r) => [
    str(r.leafIndex),
    r.eventId,
    r.eventType,
    r.actorId,
    r.occurredAt,
    r.correlationId,
  ]),
});
const span = (records: TrailRecord[]) => {
  const times = records.map((r) => r.occurredAt).sort();
  return { periodStart: times[0] ?? '', periodEnd: times[times.length - 1] ?? '' };
};
const byOrder = (records: TrailRecord[]) =>
  [...records].sort(
    (a, b) =>
      (a.leafIndex ?? Infinity) - (b.leafIndex ?? Infinity) || a.occurredAt.localeCompare(b.occurredAt),
  );

/**
 * A restore: a recycle-bin restore (one tag.restored.v1, its subtree in `tagIds`) or a point-in-time
 * restore (every tag.restored_to_point.v1 of one restore id). `related`: the other records of the same
 * command (same correlation id).
 */
export function buildRestoreReport(tenantId: string, trigger: TrailRecord[], related: TrailRecord[]): Report {
  const first = trigger[0]!;
  const toPoint = first.eventType === 'tag.restored_to_point.v1';
  const all = byOrder([...trigger, ...related.filter((r) => !trigger.some((t) => t.eventId === r.eventId))]);
  const tags = toPoint
    ? trigger.map((r) => [
        str(r.data['tagId']),
        str(r.data['name']),
        str(r.data['status']),
        str(r.data['parentId']),
      ])
    : ((first.data['tagIds'] as string[] | undefined) ?? [str(first.data['tagId'])]).map((id) => [
        id,
        '',
        'active',
        '',
      ]);
  return {
    id: `restore:${first.eventId}`,
    kind: 'restore',
    tenantId,
    title: toPoint
      ? `Point-in-time restore as of ${str(first.data['asOf'])}`
      : `Recycle-bin restore of tag ${str(first.data['tagId'])}`,
    ...span(trigger),
    sourceEventId: first.eventId,
    facts: [
      [
        'restore',
        toPoint ? `point in time (restore ${str(first.data['restoreId'])})` : 'from the recycle bin',
      ],
      ...(toPoint ? ([['as of', str(first.data['asOf'])]] as [string, string][]) : []),
      ['restored by', toPoint ? first.actorId : str(first.data['restoredBy']) || first.actorId],
      ['tags restored', String(tags.length)],
      ['correlation id', first.correlationId],
    ],
    sections: [
      { title: 'Tags restored', columns: ['tag id', 'name', 'status after', 'parent id'], rows: tags },
      recordsSection(all),
    ],
    basedOn: cited(all),
  };
}

/**
 * A critical sensitive operation (level critical) with what followed it: its notifications and freezes
 * (same operation id), its approval and the change itself (same correlation id).
 */
export function buildCriticalOperationReport(
  tenantId: string,
  trigger: TrailRecord,
  related: TrailRecord[],
): Report {
  const d = trigger.data;
  const notifications = related.filter((r) => r.eventType === 'tag.notification_requested.v1');
  const frozen = related.filter((r) => r.eventType === 'tag.operator_frozen.v1');
  const approvals = related.filter((r) => r.eventType.startsWith('tag.approval_'));
  const affected =
    (d['affected'] as { tagId: string; name: string; memberCount: number }[] | undefined) ?? [];
  const all = byOrder([trigger, ...related]);
  return {
    id: `critical_operation:${trigger.eventId}`,
    kind: 'critical_operation',
    tenantId,
    title: `Critical operation ${str(d['operation'])} by ${str(d['actorId']) || trigger.actorId}`,
    ...span(all),
    sourceEventId: trigger.eventId,
    facts: [
      ['operation', str(d['operation'])],
      ['operation id', str(d['operationId'])],
      ['level', str(d['level'])],
      ['actor', str(d['actorId']) || trigger.actorId],
      ['actor department', str(d['actorDepartment']) || '(none recorded)'],
      ['members affected', str(d['totalMembers'])],
      ['approved by', str(d['approvedBy']) || '(no approval)'],
      [
        'operator frozen',
        frozen.length > 0 ? `yes (${frozen.map((f) => str(f.data['reason'])).join('; ')})` : 'no',
      ],
      ['notifications requested', String(notifications.length)],
      ['detected at', trigger.occurredAt],
    ],
    sections: [
      {
        title: 'Affected tags',
        columns: ['tag id', 'name', 'members'],
        rows: affected.map((a) => [a.tagId, a.name, String(a.memberCount)]),
      },
      {
        title: 'Notifications',
        columns: ['notification id', 'channel', 'level', 'summary'],
        rows: notifications.map((n) => [
          str(n.data['notificationId']),
          str(n.data['channel']),
          str(n.data['level']),
          str(n.data['summary']),
        ]),
      },
      {
        title: 'Approvals',
        columns: ['approval id', 'event', 'decision', 'by'],
        rows: approvals.map((a) => [
          str(a.data['approvalId']),
          a.eventType,
          str(a.data['decision']) || 'requested',
          str(a.data['by'] ?? a.data['requestedBy']),
        ]),
      },
      recordsSection(all),
    ],
    basedOn: cited(all),
  };
}

/**
 * A report from an event type that is a contract in waiting (rebuilds, temporary unmutes): built from
 * the record as it arrives — its facts and every field of its data — with no assumption on its shape.
 */
export function buildSingleRecordReport(
  tenantId: string,
  kind: 'rebuild' | 'temporary_unmute',
  trigger: TrailRecord,
  related: TrailRecord[],
): Report {
  const all = byOrder([trigger, ...related]);
  return {
    id: `${kind}:${trigger.eventId}`,
    kind,
    tenantId,
    title: `${kind === 'rebuild' ? 'Read-model rebuild' : 'Temporary unmute'} by ${trigger.actorId} (${trigger.subjectId})`,
    ...span(all),
    sourceEventId: trigger.eventId,
    facts: [
      ['event', trigger.eventType],
      ['actor', trigger.actorId],
      ['subject', trigger.subjectId],
      ['occurred at', trigger.occurredAt],
    ],
    sections: [
      {
        title: 'Details',
        columns: ['field', 'value'],
        rows: Object.keys(trigger.data)
          .sort()
          .map((k) => [k, str(trigger.data[k])]),
      },
      recordsSection(all),
    ],
    basedOn: cited(all),
  };
}

export interface WeekOfTrail {
  start: Date;
  end: Date;
  /** Records in the week by event type (counted in the store). */
  countsByType: Map<string, number>;
  /** The week's tag.sensitive_operation_detected.v1 records. */
  detections: TrailRecord[];
  /** The week's tag.notification_requested.v1 records. */
  notifications: TrailRecord[];
  /** Delivery attempts audited into the trail (NOTIFICATION_DELIVERY_EVENT_TYPES), by notification id. */
  deliveries: TrailRecord[];
}

/** A tenant's week: operations by kind, the critical operations, the notifications and their delivery. */
export function buildWeeklyReport(tenantId: string, week: WeekOfTrail): Report {
  const total = [...week.countsByType.values()].reduce((a, b) => a + b, 0);
  const critical = week.detections.filter((r) => r.data['level'] === 'critical');
  const deliveryRecorded = NOTIFICATION_DELIVERY_EVENT_TYPES.length > 0 || week.deliveries.length > 0;
  const lastStatus = new Map<string, string>();
  for (const d of byOrder(week.deliveries))
    lastStatus.set(str(d.data['notificationId']), str(d.data['status']));
  const channels = new Map<string, { requested: number; byStatus: Map<string, number> }>();
  for (const n of week.notifications) {
    const channel = str(n.data['channel']);
    const entry = channels.get(channel) ?? { requested: 0, byStatus: new Map<string, number>() };
    entry.requested += 1;
    const status =
      lastStatus.get(str(n.data['notificationId'])) ?? (deliveryRecorded ? 'no attempt recorded' : 'pending');
    entry.byStatus.set(status, (entry.byStatus.get(status) ?? 0) + 1);
    channels.set(channel, entry);
  }
  const id = weekId(week.start);
  return {
    id: `weekly:${id}`,
    kind: 'weekly',
    tenantId,
    title: `Weekly report ${id}`,
    periodStart: week.start.toISOString(),
    periodEnd: week.end.toISOString(),
    sourceEventId: '',
    facts: [
      ['week', `${id} (${week.start.toISOString()} to ${week.end.toISOString()}, UTC)`],
      ['trail records', String(total)],
      ['kinds of operation', String(week.countsByType.size)],
      ['critical operations', String(critical.length)],
      ['warnings', String(week.detections.length - critical.length)],
      ['notifications requested', String(week.notifications.length)],
      [
        'notification delivery',
        deliveryRecorded
          ? 'from the delivery attempts audited in the trail'
          : 'pending: notification delivery records no attempts in the trail yet, so only requests are counted',
      ],
    ],
    sections: [
      {
        title: 'Operations by kind',
        columns: ['event type', 'records'],
        rows: [...week.countsByType.entries()]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([type, n]) => [type, String(n)]),
      },
      {
        title: 'Critical operations',
        columns: [
          'detected at',
          'operation',
          'actor',
          'department',
          'members affected',
          'approved by',
          'report',
        ],
        rows: byOrder(critical).map((r) => [
          r.occurredAt,
          str(r.data['operation']),
          str(r.data['actorId']) || r.actorId,
          str(r.data['actorDepartment']),
          str(r.data['totalMembers']),
          str(r.data['approvedBy']) || '(no approval)',
          `critical_operation:${r.eventId}`,
        ]),
      },
      {
        title: 'Notifications by channel',
        columns: ['channel', 'requested', 'delivery'],
        rows: [...channels.entries()]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([channel, e]) => [
            channel,
            String(e.requested),
            [...e.byStatus.entries()]
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([s, n]) => `${s}: ${n}`)
              .join(', '),
          ]),
      },
    ],
    basedOn: cited(byOrder([...critical, ...week.notifications, ...week.deliveries])),
  };
}
