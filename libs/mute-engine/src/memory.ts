import type { MuteDirectoryView, MuteRule, MuteTagView, TagMemberKind, ThrottleCounts } from './model';

/** In-memory views (tests, benchmarks, and a service that keeps its copies in maps). */

const NONE: readonly string[] = [];

export class MemoryTagView implements MuteTagView {
  // One map per member kind, each a field: a lookup is one Map get, no key string built per call.
  private readonly employees = new Map<string, string[]>();
  private readonly departments = new Map<string, string[]>();
  private readonly customers = new Map<string, string[]>();
  private readonly partners = new Map<string, string[]>();
  private readonly parents = new Map<string, string | null>();

  private of(kind: TagMemberKind): Map<string, string[]> {
    return kind === 'employee'
      ? this.employees
      : kind === 'department'
        ? this.departments
        : kind === 'customer'
          ? this.customers
          : this.partners;
  }

  /** Declares a tag (or tag group) and its parent. */
  tag(tagId: string, parentId: string | null = null): this {
    this.parents.set(tagId, parentId);
    return this;
  }

  add(tagId: string, kind: TagMemberKind, id: string): this {
    if (!this.parents.has(tagId)) this.parents.set(tagId, null);
    const members = this.of(kind);
    const list = members.get(id);
    if (list) {
      if (!list.includes(tagId)) list.push(tagId);
    } else members.set(id, [tagId]);
    return this;
  }

  remove(tagId: string, kind: TagMemberKind, id: string): this {
    const list = this.of(kind).get(id);
    const at = list ? list.indexOf(tagId) : -1;
    if (list && at >= 0) list.splice(at, 1);
    return this;
  }

  tagsOf(kind: TagMemberKind, id: string): readonly string[] {
    return this.of(kind).get(id) ?? NONE;
  }

  parentOf(tagId: string): string | null | undefined {
    return this.parents.get(tagId);
  }
}

export class MemoryDirectoryView implements MuteDirectoryView {
  private readonly employees = new Map<string, { departmentIds: string[] }>();
  private readonly parents = new Map<string, string | null>();

  department(departmentId: string, parentId: string | null = null): this {
    this.parents.set(departmentId, parentId);
    return this;
  }

  person(employeeId: string, departmentIds: string[]): this {
    this.employees.set(employeeId, { departmentIds });
    return this;
  }

  employee(employeeId: string): { departmentIds: readonly string[] } | undefined {
    return this.employees.get(employeeId);
  }

  parentOf(departmentId: string): string | null | undefined {
    return this.parents.get(departmentId);
  }
}

/** Alert instants per (recipient, key), recorded in time order; `alerts` counts those at or after periodStart. */
export class MemoryThrottleCounts implements ThrottleCounts {
  private readonly sent = new Map<string, number[]>();

  record(recipientId: string, key: string, at: number): void {
    const k = `${recipientId}\u0000${key}`;
    const list = this.sent.get(k);
    if (list) list.push(at);
    else this.sent.set(k, [at]);
  }

  alerts(recipientId: string, key: string, periodStart: number): number {
    const list = this.sent.get(`${recipientId}\u0000${key}`);
    if (!list) return 0;
    let n = 0;
    for (let i = list.length - 1; i >= 0 && (list[i] as number) >= periodStart; i -= 1) n += 1;
    return n;
  }
}

/** A rule with defaults for the fields a spec does not care about. */
export function rule(partial: Partial<MuteRule> & Pick<MuteRule, 'ruleId' | 'effect'>): MuteRule {
  return {
    parentId: null,
    name: partial.ruleId,
    scope: {},
    urgency: 'any',
    schedule: null,
    activeFrom: null,
    activeUntil: null,
    enabled: true,
    ...partial,
  };
}
