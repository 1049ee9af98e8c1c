import type { MuteRuleSet, MuteTagView } from '@tagguard/mute-engine';
import { storeVisitRule, withAutomationTags, type AutomationSettings } from './automation-overlay';

/** What the decision path lets the flow features add to a decision's inputs (the rules and the tag view). */
export interface DecisionOverlay {
  apply(
    tenantId: string,
    at: number,
    rules: MuteRuleSet,
    tags: MuteTagView,
  ): { rules: MuteRuleSet; tags: MuteTagView };
}

type Mute = { customerId: string; from: number; until: number };

/**
 * The automation's part of every decision, from memory (the decision path makes no query): each tenant's
 * settings and its customers muted now, refreshed by the flow runner from the automation's tables. The rule
 * set with the automation's rule is built once per (rules object, settings), so the engine's per-object index
 * cache still holds.
 */
export class AutomationView implements DecisionOverlay {
  private settings = new Map<string, AutomationSettings>();
  private mutes = new Map<string, Mute[]>();
  private readonly withRule = new WeakMap<
    MuteRuleSet,
    { settings: AutomationSettings; rules: MuteRuleSet }
  >();

  replace(settings: Map<string, AutomationSettings>, mutes: Map<string, Mute[]>): void {
    this.settings = settings;
    this.mutes = mutes;
  }

  apply(tenantId: string, at: number, rules: MuteRuleSet, tags: MuteTagView) {
    const s = this.settings.get(tenantId);
    const rule = s ? storeVisitRule(s) : null;
    if (!rule) return { rules, tags };
    let cached = this.withRule.get(rules);
    if (!cached || cached.settings !== s) {
      const all = new Map(rules.rules);
      all.set(rule.ruleId, rule);
      cached = { settings: s!, rules: { ...rules, rules: all } };
      this.withRule.set(rules, cached);
    }
    const muted = new Set<string>();
    for (const m of this.mutes.get(tenantId) ?? []) if (m.from <= at && at < m.until) muted.add(m.customerId);
    return { rules: cached.rules, tags: muted.size > 0 ? withAutomationTags(tags, muted) : tags };
  }
}
