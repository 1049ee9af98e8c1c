import type { ComponentHandle, ComponentLag } from '@tagguard/telemetry';
import type { IntegrationMessage } from '../message';
import type { MessagePublisher } from '../publisher.port';

/** Why a message was parked on `<group>.dlt` instead of being handled. */
export interface DeadLetter {
  message: IntegrationMessage | undefined;
  reason: string;
  attempts: number;
}

export interface SubscriptionOptions {
  /** `<service>.<purpose>`: the consumer group, also the dead-letter topic's prefix. */
  groupId: string;
  topics: string[];
  handle(message: IntegrationMessage): Promise<void>;
  /** Attempts before a message goes to the dead-letter topic (default 4). */
  maxAttempts?: number;
  /** First backoff; doubles each attempt (default 100 ms). */
  backoffMs?: number;
  onDeadLetter?(deadLetter: DeadLetter): void;
  /** Where the consumer reports its state (a crash of the Kafka client, its recovery). */
  component?: ComponentHandle;
}

export interface MessageSubscription {
  stop(): Promise<void>;
  /** Messages the group has not committed yet, where the transport can tell. */
  lag?(): Promise<ComponentLag | undefined>;
}

/**
 * How services exchange integration messages: Kafka in the distributed mode, the in-process transport in
 * the embedded mode and unit tests. Both give the same guarantees a consumer is written against:
 * at-least-once delivery, order per key, retries with backoff and then a dead-letter topic, a group
 * that subscribes late starts from the oldest retained message.
 */
export interface MessageTransport {
  readonly kind: 'kafka' | 'in-process';
  /** Declares topics (idempotently) so that start order between services does not matter. */
  ensureTopics(topics: string[]): Promise<void>;
  publisher(): Promise<MessagePublisher>;
  subscribe(options: SubscriptionOptions): Promise<MessageSubscription>;
  close(): Promise<void>;
}

export const DEFAULT_MAX_ATTEMPTS = 4;
export const DEFAULT_BACKOFF_MS = 100;
