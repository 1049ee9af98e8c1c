import type { Universe } from './universe';

/**
 * A product of classes on which the same rules (of those asked about) apply: every (employee, lane,
 * action) in it is decided alike. `applicable` holds rule indices (positions), ascending.
 */
export type Region = { subjects: number[]; resources: number[]; actions: number[]; applicable: number[] };

function groupBy<T>(
  items: Iterable<T>,
  keyOf: (item: T) => number[],
): Map<string, { key: number[]; items: T[] }> {
  const out = new Map<string, { key: number[]; items: T[] }>();
  for (const item of items) {
    const key = keyOf(item);
    const k = key.join(',');
    const g = out.get(k);
    if (g) g.items.push(item);
    else out.set(k, { key, items: [item] });
  }
  return out;
}

/**
 * Splits the target rule's set into regions by which of the `involved` rules also apply. Only the part
 * where at least one involved rule applies is returned when `overlapOnly` (where the target applies
 * alone, nothing else can decide). Work is per subject class group and per overlapping resource class,
 * never per (employee, tag) pair.
 */
export function partitionRule(
  u: Universe,
  target: number,
  involved: (i: number) => boolean,
  overlapOnly: boolean,
): Region[] {
  const t = u.sets[target]!;
  const out: Region[] = [];
  const subjectGroups = groupBy(t.subjects.members(), (c) =>
    u.subjects[c]!.rules.filter(
      (i) => i !== target && involved(i) && u.sets[i]!.actions.intersects(t.actions),
    ),
  );
  for (const { key: others, items: subjectIds } of subjectGroups.values()) {
    // The resource classes of the target that some other rule of the group also covers, each with its rules.
    const resourceRules = new Map<number, number[]>();
    for (const i of others) {
      const r = u.sets[i]!.resources;
      for (let w = 0; w < t.resources.words.length; w++) {
        let word = t.resources.words[w]! & r.words[w]!;
        while (word !== 0) {
          const low = word & -word;
          const c = (w << 5) + (31 - Math.clz32(low));
          const list = resourceRules.get(c);
          if (list) list.push(i);
          else resourceRules.set(c, [i]);
          word ^= low;
        }
      }
    }
    const resourceGroups = groupBy(resourceRules.keys(), (c) => resourceRules.get(c)!);
    for (const { key: withResource, items: resourceIds } of resourceGroups.values()) {
      const actionGroups = groupBy(t.actions.members(), (a) =>
        withResource.filter((i) => u.sets[i]!.actions.has(a)),
      );
      for (const { key: withAction, items: actionIds } of actionGroups.values()) {
        if (withAction.length === 0 && overlapOnly) continue;
        out.push({
          subjects: subjectIds,
          resources: resourceIds,
          actions: actionIds,
          applicable: [...withAction, target].sort((a, b) => a - b),
        });
      }
    }
    if (!overlapOnly) {
      const alone = [...t.resources.members()].filter((c) => !resourceRules.has(c));
      if (alone.length)
        out.push({
          subjects: subjectIds,
          resources: alone,
          actions: [...t.actions.members()],
          applicable: [target],
        });
    }
  }
  return out;
}
