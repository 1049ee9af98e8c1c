import type { IntegrationMessage } from './message';

/** Resolves only when every message is durably accepted (Kafka: acknowledged by all in-sync replicas). */
export interface MessagePublisher {
  publish(messages: IntegrationMessage[]): Promise<void>;
  close(): Promise<void>;
}
