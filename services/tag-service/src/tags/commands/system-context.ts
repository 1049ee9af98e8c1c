import type { CommandContext } from './event-writer';

/** tag-service acting on its own (timers, processes): never frozen, never a tenant admin by accident. */
export function systemContext(
  tenantId: string,
  process: string,
  extra: Partial<CommandContext> = {},
): CommandContext {
  return { principal: { tenantId, actorId: `system:${process}`, roles: ['system'] }, ...extra };
}
