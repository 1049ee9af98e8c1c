// One Decider shape for every write path: the shared keyed-stream writer's (types only, no I/O).
export type { Decider, DomainEvent } from '@tagguard/event-store';
