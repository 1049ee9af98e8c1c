export { ResilientConsumer, type ResilientConsumerOptions } from './consumer/resilient-consumer';
export { Inbox, type InboxOutcome } from './inbox/inbox';
export { ensureTopics, KafkaPublisher } from './kafka/kafka-publisher';
export { fromRecord, toHeaders, type Headers, type IntegrationMessage } from './message';
export type { MessagePublisher } from './publisher.port';
export {
  FencedError,
  PostgresCheckpointStore,
  type CheckpointStore,
  type Fence,
  type SqlExecutor,
} from './relay/checkpoint-store';
export {
  CheckpointedSubscriber,
  DEFAULT_RETRY,
  type CheckpointedSubscriberOptions,
  type RetryPolicy,
  type SubscriberRuntime,
} from './relay/checkpointed-subscriber';
export { LeasedRuntime, type LeasedRuntimeOptions, type SupervisedRelay } from './relay/leased-runtime';
export { LeasedWorkers, type LeasedWorker } from './relay/leased-workers';
export { PostgresLease, type LeaseOptions } from './relay/lease';
export { PostgresParkedEvents, type ParkedEvent } from './relay/parked-events';
export { EventRelay, type EventRelayOptions } from './relay/event-relay';
export { deadLetterTopic, topicName, type TopicSpec } from './topics';
export { InProcessTransport } from './transport/in-process-transport';
export { KafkaTransport, type KafkaTransportOptions } from './transport/kafka-transport';
export type {
  DeadLetter,
  MessageSubscription,
  MessageTransport,
  SubscriptionOptions,
} from './transport/message-transport';
export { bindEventHandlers, type EventHandlerExtras } from './nest/bind-event-handlers';
export { EventContext } from './nest/event-context';
