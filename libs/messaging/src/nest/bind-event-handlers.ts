import type { MessageHandler } from '@nestjs/microservices';
import type { ComponentRegistry } from '@tagguard/telemetry';
import { isObservable, lastValueFrom } from 'rxjs';
import type { IntegrationMessage } from '../message';
import type { MessageSubscription, MessageTransport } from '../transport/message-transport';
import { EventContext } from './event-context';

/** What `@EventPattern(topic, { group })` declares: the purpose part of the group id (default "events"). */
export interface EventHandlerExtras {
  group?: string;
  maxAttempts?: number;
}

/**
 * Subscribes a Nest server's @EventPattern handlers to a transport: one consumer group per declared
 * group (`<service>.<group>`), dispatching by topic. The handler runs through Nest's pipeline
 * (interceptors, filters) and its failure reaches the transport, which retries and dead-letters it.
 */
export async function bindEventHandlers(
  handlers: Map<string, MessageHandler>,
  transport: MessageTransport,
  serviceName: string,
  components?: ComponentRegistry,
): Promise<MessageSubscription[]> {
  const groups = new Map<string, Map<string, MessageHandler>>();
  for (const [topic, head] of handlers) {
    if (!head.isEventHandler) continue;
    // Handlers of one topic are chained (`next`); each must be in a group of its own. The chain is cut:
    // Nest would run `next` along with its head, i.e. in the head's group too.
    const chain: MessageHandler[] = [];
    for (let h: MessageHandler | undefined = head; h; h = h.next) chain.push(h);
    for (const handler of chain) {
      handler.next = undefined;
      const extras = (handler.extras ?? {}) as EventHandlerExtras;
      // KAFKA_CONSUMER_GROUP_SUFFIX (tests only): instances on separate schemas sharing one broker must not
      // share consumer groups, or each gets only some partitions and misses the rest of the events.
      const groupId = `${serviceName}${process.env['KAFKA_CONSUMER_GROUP_SUFFIX'] ?? ''}.${extras.group ?? 'events'}`;
      const byTopic = groups.get(groupId) ?? new Map<string, MessageHandler>();
      if (byTopic.has(topic))
        throw new Error(
          `topic ${topic} has two @EventPattern handlers in ${groupId}; give each its own group`,
        );
      groups.set(groupId, byTopic.set(topic, handler));
    }
  }
  const subscriptions: MessageSubscription[] = [];
  for (const [groupId, byTopic] of groups) {
    const maxAttempts = [...byTopic.values()]
      .map((h) => (h.extras as EventHandlerExtras | undefined)?.maxAttempts)
      .find((n) => n !== undefined);
    // One component per consumer group: its health entry and ListComponents line are the group id.
    const bound: { subscription?: MessageSubscription } = {};
    const component = components?.register({
      name: groupId,
      kind: 'consumer',
      lag: () => bound.subscription?.lag?.() ?? Promise.resolve(undefined),
    });
    component?.set('starting');
    const subscribed = await transport.subscribe({
      groupId,
      topics: [...byTopic.keys()],
      ...(maxAttempts ? { maxAttempts } : {}),
      handle: async (message: IntegrationMessage) => {
        const handler = byTopic.get(message.topic)!;
        const result: unknown = await handler(message, new EventContext([message, groupId]));
        if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
      },
      onDeadLetter: ({ message, reason }) =>
        component?.parked(`message ${message?.eventId ?? '(unreadable)'} on ${groupId}.dlt`, reason),
      ...(component ? { component } : {}),
    });
    bound.subscription = subscribed;
    component?.set('running');
    subscriptions.push({
      stop: async () => {
        await subscribed.stop();
        component?.set('stopped');
      },
      ...(subscribed.lag ? { lag: () => subscribed.lag!() } : {}),
    });
  }
  return subscriptions;
}
