import { quoteIdent } from '@tagguard/event-store';
import type { ChannelConfig } from '../channels/domain/channel.decider';
import type { DownstreamTables, Sql } from '../downstream.tables';
import { rows } from '../downstream.tables';
import type { DownstreamAccount, DownstreamGroup } from '../port/downstream-directory.port';

/** A channel as the downstream side keeps it (downstream_channels). */
export type ChannelRow = ChannelConfig & { tenantId: string; enabled: boolean; revision: number };

/**
 * What a channel wants downstream, read from sync-service's own directory mirror and the local tag copy
 * (never from another service). Addresses are derived (the directory has no email field, D73):
 * `<employeeId>@<mailDomain>`, `<tagId>@<mailDomain>`.
 */
export class DesiredState {
  private readonly employees: string;
  private readonly employeeDepartments: string;
  private readonly departments: string;
  private readonly followers: string;

  constructor(
    private readonly t: DownstreamTables,
    schema: string,
  ) {
    this.employees = `${quoteIdent(schema)}.employees`;
    this.employeeDepartments = `${quoteIdent(schema)}.employee_departments`;
    this.departments = `${quoteIdent(schema)}.departments`;
    this.followers = `${quoteIdent(schema)}.customer_followers`;
  }

  /** Every employee has an account (a departed or disabled one a disabled account: never deleted). */
  async accounts(q: Sql, channel: ChannelRow, employeeIds?: string[]): Promise<DownstreamAccount[]> {
    const found = await rows<{ employee_id: string; name: string; status: string }>(
      q,
      `SELECT employee_id, name, status FROM ${this.employees}
        WHERE tenant_id = $1 ${employeeIds ? 'AND employee_id = ANY($2)' : ''} ORDER BY employee_id`,
      employeeIds ? [channel.tenantId, employeeIds] : [channel.tenantId],
    );
    return found.map((e) => ({
      employeeId: e.employee_id,
      email: `${e.employee_id}@${channel.settings.mailDomain}`,
      displayName: e.name,
      active: e.status === 'active',
    }));
  }

  /**
   * The tags whose group a directory batch may have changed (D78), instead of every group of the tenant:
   * for mail groups, the tags with a touched employee as a member, or with a member department that is, or
   * is an ancestor of, a touched department or a touched employee's department; for corp tags, the tags
   * with a touched customer, or a customer a touched employee follows. Plus, either way, the groups whose
   * last queued state holds a touched member (an employee moved out, a department moved away, a follower
   * gone: the group must lose them, and the mirror no longer links them).
   */
  async groupsTouching(
    q: Sql,
    channel: ChannelRow,
    touched: { employeeIds: string[]; departmentIds: string[]; customerIds: string[] },
  ): Promise<string[]> {
    const { employeeIds, departmentIds, customerIds } = touched;
    if (channel.kind === 'customer_corp_tags') {
      if (employeeIds.length === 0 && customerIds.length === 0) return [];
      const found = await rows<{ tag_id: string }>(
        q,
        `SELECT m.tag_id FROM ${this.t.tagMembers} m
          WHERE m.tenant_id = $1 AND m.member_kind = 'customer' AND (m.member_id = ANY($3)
            OR m.member_id IN (SELECT external_user_id FROM ${this.followers} WHERE tenant_id = $1 AND employee_id = ANY($2)))
         UNION
         SELECT substr(p.key, 7) FROM ${this.t.planned} p
          WHERE p.tenant_id = $1 AND p.channel_id = $4 AND p.change->>'op' = 'upsertGroup'
            AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(p.change->'group'->'memberEmployeeIds') x
                         WHERE split_part(x, '/', 1) = ANY($2) OR split_part(x, '/', 2) = ANY($3))`,
        [channel.tenantId, employeeIds, customerIds, channel.channelId],
      );
      return found.map((r) => r.tag_id);
    }
    if (employeeIds.length === 0 && departmentIds.length === 0) return [];
    const found = await rows<{ tag_id: string }>(
      q,
      `WITH RECURSIVE up(department_id) AS (
         SELECT unnest($3::text[])
         UNION SELECT department_id FROM ${this.employeeDepartments} WHERE tenant_id = $1 AND employee_id = ANY($2)
         UNION SELECT d.parent_id FROM ${this.departments} d JOIN up ON d.tenant_id = $1 AND d.department_id = up.department_id
       ), down(department_id) AS (
         SELECT unnest($3::text[])
         UNION SELECT d.department_id FROM ${this.departments} d JOIN down ON d.tenant_id = $1 AND d.parent_id = down.department_id
       ), moved(employee_id) AS (
         SELECT unnest($2::text[])
         UNION SELECT employee_id FROM ${this.employeeDepartments}
          WHERE tenant_id = $1 AND department_id IN (SELECT department_id FROM down)
       )
       SELECT m.tag_id FROM ${this.t.tagMembers} m
        WHERE m.tenant_id = $1 AND ((m.member_kind = 'employee' AND m.member_id = ANY($2))
          OR (m.member_kind = 'department' AND m.member_id IN (SELECT department_id FROM up)))
       UNION
       SELECT substr(p.key, 7) FROM ${this.t.planned} p
        WHERE p.tenant_id = $1 AND p.channel_id = $4 AND p.change->>'op' = 'upsertGroup'
          AND p.change->'group'->'memberEmployeeIds' ?| (SELECT array_agg(employee_id) FROM moved)`,
      [channel.tenantId, employeeIds, departmentIds, channel.channelId],
    );
    return found.map((r) => r.tag_id);
  }

  /** The groups of a tags → mail groups or a customer tags → corp tags channel. */
  groupsOf(q: Sql, channel: ChannelRow, tagIds?: string[]): Promise<DownstreamGroup[]> {
    return channel.kind === 'customer_corp_tags'
      ? this.customerTags(q, channel, tagIds)
      : this.groups(q, channel, tagIds);
  }

  /**
   * One group per active member tag: its employee members and every employee of its department members
   * and their sub-departments, active employees only (a disabled or departed employee leaves the group and
   * is back when enabled again, D73).
   */
  async groups(q: Sql, channel: ChannelRow, tagIds?: string[]): Promise<DownstreamGroup[]> {
    const params: unknown[] = tagIds ? [channel.tenantId, tagIds] : [channel.tenantId];
    const only = tagIds ? 'AND t.tag_id = ANY($2)' : '';
    const tags = await rows<{ tag_id: string; name: string }>(
      q,
      `SELECT tag_id, name FROM ${this.t.tags} t
        WHERE tenant_id = $1 AND kind = 'member' AND node_type = 'tag' AND status = 'active' ${only}
        ORDER BY tag_id`,
      params,
    );
    if (tags.length === 0) return [];
    const members = await rows<{ tag_id: string; employee_id: string }>(
      q,
      `WITH RECURSIVE dep(tag_id, department_id) AS (
         SELECT m.tag_id, m.member_id FROM ${this.t.tagMembers} m JOIN ${this.t.tags} t
             ON t.tenant_id = m.tenant_id AND t.tag_id = m.tag_id
          WHERE m.tenant_id = $1 AND m.member_kind = 'department' ${only}
         UNION
         SELECT dep.tag_id, d.department_id FROM ${this.departments} d JOIN dep
             ON d.tenant_id = $1 AND d.parent_id = dep.department_id
       )
       SELECT DISTINCT tag_id, employee_id FROM (
         SELECT dep.tag_id, ed.employee_id FROM dep JOIN ${this.employeeDepartments} ed
             ON ed.tenant_id = $1 AND ed.department_id = dep.department_id AND ed.status = 'active'
         UNION ALL
         SELECT m.tag_id, m.member_id FROM ${this.t.tagMembers} m
           JOIN ${this.t.tags} t ON t.tenant_id = m.tenant_id AND t.tag_id = m.tag_id
           JOIN ${this.employees} e ON e.tenant_id = m.tenant_id AND e.employee_id = m.member_id AND e.status = 'active'
          WHERE m.tenant_id = $1 AND m.member_kind = 'employee' ${only}
       ) x ORDER BY tag_id, employee_id`,
      params,
    );
    const byTag = new Map<string, string[]>(tags.map((t) => [t.tag_id, []]));
    for (const m of members) byTag.get(m.tag_id)?.push(m.employee_id);
    return tags.map((t) => ({
      groupId: t.tag_id,
      displayName: t.name,
      email: `${t.tag_id}@${channel.settings.mailDomain}`,
      memberEmployeeIds: byTag.get(t.tag_id)!,
    }));
  }

  /**
   * One corp tag per active customer tag (D74): its customer members that the directory knows, each with
   * one follower (the first by employee id; mark_tag needs a member who follows the customer). A customer
   * without a follower in the directory cannot be marked and is left out.
   */
  async customerTags(q: Sql, channel: ChannelRow, tagIds?: string[]): Promise<DownstreamGroup[]> {
    const params: unknown[] = tagIds ? [channel.tenantId, tagIds] : [channel.tenantId];
    const only = tagIds ? 'AND t.tag_id = ANY($2)' : '';
    const tags = await rows<{ tag_id: string; name: string }>(
      q,
      `SELECT tag_id, name FROM ${this.t.tags} t
        WHERE tenant_id = $1 AND kind = 'customer' AND node_type = 'tag' AND status = 'active' ${only}
        ORDER BY tag_id`,
      params,
    );
    if (tags.length === 0) return [];
    const members = await rows<{ tag_id: string; member: string }>(
      q,
      `SELECT DISTINCT ON (m.tag_id, m.member_id) m.tag_id, f.employee_id || '/' || m.member_id AS member
         FROM ${this.t.tagMembers} m JOIN ${this.t.tags} t ON t.tenant_id = m.tenant_id AND t.tag_id = m.tag_id
         JOIN ${this.followers} f ON f.tenant_id = m.tenant_id AND f.external_user_id = m.member_id
        WHERE m.tenant_id = $1 AND m.member_kind = 'customer' ${only}
        ORDER BY m.tag_id, m.member_id, f.employee_id`,
      params,
    );
    const byTag = new Map<string, string[]>(tags.map((t) => [t.tag_id, []]));
    for (const m of members) byTag.get(m.tag_id)?.push(m.member);
    return tags.map((t) => ({
      groupId: t.tag_id,
      displayName: t.name,
      email: '',
      memberEmployeeIds: byTag.get(t.tag_id)!.sort(),
    }));
  }
}
