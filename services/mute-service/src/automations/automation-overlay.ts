import type { MuteRule, MuteTagView, TagMemberKind } from '@tagguard/mute-engine';

/**
 * How an automation's mute reaches the engine (D101): a muted customer carries a tag only mute-service knows,
 * and the tenant's automation is one rule on that tag. So the automation goes through the one precedence (D66)
 * like any rule: a green channel or a more specific rule still wins over it, and every decision explains it.
 */
export const STORE_VISIT_TAG = 'mute-automation:store-visit-no-purchase';
export const STORE_VISIT_RULE_ID = 'mute-automation:store-visit';

export type AutomationSettings = {
  enabled: boolean;
  waitMs: number;
  muteMs: number;
  /** What the mute does to the customer's messages: delivered without an alert, or held to the next window. */
  effect: 'silent' | 'hold';
};

export const DEFAULT_AUTOMATION: AutomationSettings = {
  enabled: false,
  waitMs: 48 * 3_600_000,
  muteMs: 7 * 24 * 3_600_000,
  effect: 'silent',
};

export function storeVisitRule(settings: AutomationSettings): MuteRule | null {
  if (!settings.enabled) return null;
  return {
    ruleId: STORE_VISIT_RULE_ID,
    parentId: null,
    name: '到店未购买 48 小时静音',
    scope: { senderKinds: ['external_customer'], senderTagIds: [STORE_VISIT_TAG] },
    urgency: 'any',
    schedule: null,
    activeFrom: null,
    activeUntil: null,
    effect: settings.effect,
    enabled: true,
  };
}

/** The tag view with the automation's tag on the customers it mutes now. */
export function withAutomationTags(base: MuteTagView, muted: ReadonlySet<string>): MuteTagView {
  return {
    tagsOf(kind: TagMemberKind, id: string): readonly string[] {
      const tags = base.tagsOf(kind, id);
      if (kind !== 'customer' || !muted.has(id)) return tags;
      return [...tags, STORE_VISIT_TAG];
    },
    parentOf(tagId: string) {
      return tagId === STORE_VISIT_TAG ? null : base.parentOf(tagId);
    },
  };
}
