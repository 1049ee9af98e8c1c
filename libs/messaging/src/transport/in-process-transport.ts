import type { IntegrationMessage } from '../message';
import type { MessagePublisher } from '../publisher.port';
import { deadLetterTopic } from '../topics';
import { handleWithRetries } from './handle-with-retries';
import {
  DEFAULT_MAX_ATTEMPTS,
  type MessageSubscription,
  type MessageTransport,
  type SubscriptionOptions,
} from './message-transport';

interface Group {
  options: SubscriptionOptions;
  /** Next offset to deliver, per topic. */
  offsets: Map<string, number>;
  /** The delivery loop while it runs; publishers wait on it. */
  draining?: Promise<void>;
  stopped: boolean;
}

/**
 * Kafka's contract inside one process, for the embedded mode and unit tests. Every topic is one ordered
 * log kept in memory; each consumer group has its own offsets. Nothing survives the process, so
 * `publish` resolves only after every subscribed group has handled (or dead-lettered) the messages:
 * a relay that checkpoints after `publish` then never loses a message across a restart, exactly as
 * with Kafka's acks=all.
 */
export class InProcessTransport implements MessageTransport {
  readonly kind = 'in-process' as const;
  private readonly logs = new Map<string, IntegrationMessage[]>();
  private readonly groups = new Map<string, Group>();

  async ensureTopics(topics: string[]): Promise<void> {
    for (const topic of topics) if (!this.logs.has(topic)) this.logs.set(topic, []);
  }

  /** Messages retained on a topic (the dead-letter topics included), oldest first. */
  messages(topic: string): readonly IntegrationMessage[] {
    return this.logs.get(topic) ?? [];
  }

  async publisher(): Promise<MessagePublisher> {
    return {
      publish: async (messages) => {
        for (const m of messages) this.append(m);
        await this.drainAll();
      },
      close: async () => undefined,
    };
  }

  async subscribe(options: SubscriptionOptions): Promise<MessageSubscription> {
    if (this.groups.get(options.groupId)?.stopped === false)
      throw new Error(`consumer group ${options.groupId} already has a member in this process`);
    await this.ensureTopics([...options.topics, deadLetterTopic(options.groupId)]);
    // A group that comes back keeps its offsets (like committed offsets); a new one starts at 0.
    const previous = this.groups.get(options.groupId);
    const group: Group = { options, offsets: previous?.offsets ?? new Map(), stopped: false };
    this.groups.set(options.groupId, group);
    void this.drain(group);
    return {
      stop: async () => {
        group.stopped = true;
        await group.draining;
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all(
      [...this.groups.values()].map(async (g) => {
        g.stopped = true;
        await g.draining;
      }),
    );
  }

  private append(message: IntegrationMessage): void {
    const log = this.logs.get(message.topic);
    if (!log) throw new Error(`topic ${message.topic} does not exist (ensureTopics first)`);
    log.push(message);
  }

  private async drainAll(): Promise<void> {
    await Promise.all([...this.groups.values()].filter((g) => !g.stopped).map((g) => this.drain(g)));
  }

  /** One delivery loop per group at a time; a call while it runs waits for it and then re-checks. */
  private drain(group: Group): Promise<void> {
    const run = async (): Promise<void> => {
      await previous;
      let delivered = true;
      while (delivered && !group.stopped) {
        delivered = false;
        for (const topic of group.options.topics) {
          const log = this.logs.get(topic) ?? [];
          let offset = group.offsets.get(topic) ?? 0;
          while (offset < log.length && !group.stopped) {
            await this.deliver(group.options, log[offset]!);
            offset++;
            group.offsets.set(topic, offset);
            delivered = true;
          }
        }
      }
    };
    const previous = group.draining;
    const current = run();
    group.draining = current;
    return current;
  }

  private async deliver(options: SubscriptionOptions, message: IntegrationMessage): Promise<void> {
    const reason = await handleWithRetries(options, {
      topic: message.topic,
      carrier: message.metadata,
      system: 'in-process',
      read: () => message,
    });
    if (reason === undefined) return;
    const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.append({
      ...message,
      topic: deadLetterTopic(options.groupId),
      deadLetter: {
        reason,
        originalTopic: message.topic,
        attempts: maxAttempts,
        consumerGroup: options.groupId,
      },
    });
    options.onDeadLetter?.({ message, reason, attempts: maxAttempts });
    // Readers of the dead-letter topic are woken, not awaited: this group's loop must not wait on itself.
    for (const g of this.groups.values())
      if (!g.stopped && g.options.topics.includes(deadLetterTopic(options.groupId))) void this.drain(g);
  }
}
