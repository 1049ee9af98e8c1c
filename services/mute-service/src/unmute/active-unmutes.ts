import type { TemporaryUnmute } from '@tagguard/mute-engine';
import type { UnmuteSource } from '../decisions/unmute-source';

/** The unmutes in force, from memory (the decision path makes no query); refreshed by the flow runner and at
 * once after a local start or stop. The engine checks each one's bounds against the message's sentAt. */
export class ActiveUnmutes implements UnmuteSource {
  private byTenant = new Map<string, TemporaryUnmute[]>();

  replace(all: { tenantId: string; unmute: TemporaryUnmute }[]): void {
    const next = new Map<string, TemporaryUnmute[]>();
    for (const { tenantId, unmute } of all) next.set(tenantId, [...(next.get(tenantId) ?? []), unmute]);
    this.byTenant = next;
  }

  active(tenantId: string): readonly TemporaryUnmute[] {
    return this.byTenant.get(tenantId) ?? [];
  }
}
