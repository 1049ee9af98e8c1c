import type { Report, TrailRecord } from './report';
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
 * restore (its tag.restore_applied.v1, if recorded, and every tag.restored_to_point.v1 of its restore id). `related`: the other records of the same
 * command (same correlation id).
 */
export function buildRestoreReport(tenantId: string, trigger: TrailRecord[], related: TrailRecord[]): Report {
  const applied = trigger.find((r) => r.eventType === 'tag.restore_applied.v1');
  const perTag = trigger.filter((r) => r.eventType === 'tag.restored_to_point.v1');
  const first = applied ?? trigger[0]!;
  const toPoint = first.eventType !== 'tag.restored.v1';
  const all = byOrder([...trigger, ...related.filter((r) => !trigger.some((t) => t.eventId === r.eventId))]);
  const tags = toPoint
    ? perTag.map((r) => [
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
  const facts: [string, string][] = [
    ['restore', toPoint ? `point in time (restore ${str(first.data['restoreId'])})` : 'from the recycle bin'],
  ];
  if (toPoint) facts.push(['as of', str(first.data['asOf'])]);
  if (applied)
    facts.push(
      ['root', str(applied.data['rootId']) || '(the whole tenant)'],
      ['level', str(applied.data['level'])],
      ['approved by', str(applied.data['approvedBy']) || '(no approval)'],
      ['changes', str(applied.data['changes'])],
    );
  facts.push(
    ['restored by', toPoint ? first.actorId : str(first.data['restoredBy']) || first.actorId],
    ['tags restored', String(tags.length)],
    ['correlation id', first.correlationId],
  );
  return {
    id: `restore:${first.eventId}`,
    kind: 'restore',
    tenantId,
    title: toPoint
      ? `Point-in-time restore as of ${str(first.data['asOf'])}`
      : `Recycle-bin restore of tag ${str(first.data['tagId'])}`,
    ...span(trigger),
    sourceEventId: first.eventId,
    facts,
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

const durationText = (ms: number): string => {
  const minutes = Math.round(ms / 60_000);
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
};

/**
 * A temporary unmute, from its mute.temporary_unmute_ended.v1 record: mute-service puts the whole
 * operation report in `data.report` (who unmuted which tag, when, for how long, and each message let
 * through because of it). A record without one (none is published so today) still reports the envelope
 * fields it has, and says the list is not in the trail rather than showing none.
 */
export function buildTemporaryUnmuteReport(
  tenantId: string,
  trigger: TrailRecord,
  related: TrailRecord[],
): Report {
  const all = byOrder([trigger, ...related]);
  const d = trigger.data;
  const r = (d['report'] && typeof d['report'] === 'object' ? d['report'] : {}) as Record<string, unknown>;
  const has = Object.keys(r).length > 0;
  const messages = Array.isArray(r['messages']) ? (r['messages'] as Record<string, unknown>[]) : [];
  const tag = str(r['tagName']) || str(r['tagId'] ?? d['tagId']);
  const unmutedBy = str(r['unmutedBy']) || '(not in the record)';
  const startedAt = str(r['startedAt']);
  const endedAt = str(r['endedAt'] ?? d['endedAt']);
  return {
    id: `temporary_unmute:${trigger.eventId}`,
    kind: 'temporary_unmute',
    tenantId,
    title: `Temporary unmute of ${tag} by ${unmutedBy}`,
    periodStart: startedAt || span(all).periodStart,
    periodEnd: endedAt || span(all).periodEnd,
    sourceEventId: trigger.eventId,
    facts: [
      ['unmute', str(d['unmuteId'] ?? r['unmuteId'])],
      ['tag', `${tag} (${str(r['tagId'] ?? d['tagId'])})`],
      ['unmuted by', unmutedBy],
      ['started at', startedAt],
      ['planned end', str(r['plannedEndAt'])],
      ['ended at', endedAt],
      ['ended by', str(r['endedBy']) || trigger.actorId],
      ['ended because', str(r['reason'])],
      ['lasted', typeof r['durationMs'] === 'number' ? durationText(r['durationMs']) : ''],
      ['messages let through', str(r['messageCount'] ?? d['messagesLetThrough'])],
      ['recipients', str(r['recipientCount'])],
      ['senders', str(r['senderCount'])],
    ],
    sections: [
      {
        title: has ? 'Messages let through' : 'Messages let through (not in the record)',
        columns: ['sent at', 'message id', 'recipient', 'sender', 'sender enterprise', 'otherwise'],
        rows: messages.map((m) => [
          str(m['sentAt']),
          str(m['messageId']),
          str(m['recipientId']),
          str(m['sender']),
          str(m['senderCorpId']),
          str(m['otherwise']),
        ]),
      },
      recordsSection(all),
    ],
    basedOn: cited(all),
  };
}

/**
 * A report from an event type whose shape the builders do not assume (rebuilds): built from the record
 * as it arrives — its facts and every field of its data.
 */
export function buildSingleRecordReport(
  tenantId: string,
  kind: 'rebuild',
  trigger: TrailRecord,
  related: TrailRecord[],
): Report {
  const all = byOrder([trigger, ...related]);
  return {
    id: `${kind}:${trigger.eventId}`,
    kind,
    tenantId,
    title: `Read-model rebuild by ${trigger.actorId} (${trigger.subjectId})`,
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
  const deliveryRecorded = week.deliveries.length > 0;
  // The last status of each (notification, channel): an attempt record names every notification it carried.
  const lastStatus = new Map<string, Map<string, string>>();
  for (const d of byOrder(week.deliveries)) {
    const ids = (d.data['notificationIds'] as unknown[] | undefined) ?? [d.data['notificationId']];
    for (const id of ids.map(str)) {
      const perChannel = lastStatus.get(id) ?? new Map<string, string>();
      perChannel.set(str(d.data['channelId']), str(d.data['status']));
      lastStatus.set(id, perChannel);
    }
  }
  const channels = new Map<string, { requested: number; byStatus: Map<string, number> }>();
  for (const n of week.notifications) {
    const channel = str(n.data['channel']);
    const entry = channels.get(channel) ?? { requested: 0, byStatus: new Map<string, number>() };
    entry.requested += 1;
    const statuses = [...(lastStatus.get(str(n.data['notificationId']))?.values() ?? [])];
    for (const status of statuses.length > 0 ? statuses : ['pending'])
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
          ? `from the ${week.deliveries.length} delivery attempts audited in the trail this week`
          : 'pending: no delivery attempt is recorded in the trail this week, so only requests are counted',
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
