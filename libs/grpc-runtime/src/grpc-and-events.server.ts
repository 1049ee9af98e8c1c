import { ServerGrpc, type GrpcOptions, type MessageHandler } from '@nestjs/microservices';
import { bindEventHandlers, type MessageSubscription, type MessageTransport } from '@tagguard/messaging';
import type { ComponentRegistry } from '@tagguard/telemetry';

/**
 * Nest's gRPC server that also hosts the service's @EventPattern handlers on a message transport
 * (Kafka, or in-process in the embedded mode): one Nest application, one DI container, one pipeline of
 * filters and interceptors for both. Events start after gRPC is bound and stop before it closes.
 */
export class GrpcAndEventsServer extends ServerGrpc {
  private subscriptions: MessageSubscription[] = [];

  constructor(
    options: GrpcOptions['options'],
    private readonly events:
      { transport: MessageTransport; serviceName: string; components?: ComponentRegistry } | undefined,
  ) {
    super(options);
  }

  /**
   * Nest's ServerGrpc drops a handler's extras (@EventPattern's `{ group }` lives there) and replaces an
   * earlier handler of the same pattern; event handlers of one topic are chained instead (`next`, as
   * Nest's base server does), so two consumer groups of one service may read the same topic.
   */
  override addHandler(
    pattern: unknown,
    callback: MessageHandler,
    isEventHandler = false,
    extras: Record<string, unknown> = {},
  ): void {
    const head =
      isEventHandler && typeof pattern === 'string' ? this.messageHandlers.get(pattern) : undefined;
    if (head?.isEventHandler) {
      let tail = head;
      while (tail.next) tail = tail.next;
      callback.isEventHandler = true;
      callback.extras = extras;
      tail.next = callback;
      return;
    }
    super.addHandler(pattern, callback, isEventHandler);
    callback.extras = extras;
  }

  override async listen(callback: (err?: unknown, ...optionalParams: unknown[]) => void): Promise<void> {
    await super.listen(async (err?: unknown) => {
      if (err || !this.events) return callback(err);
      try {
        this.subscriptions = await bindEventHandlers(
          this.messageHandlers,
          this.events.transport,
          this.events.serviceName,
          this.events.components,
        );
        callback();
      } catch (error) {
        callback(error);
      }
    });
  }

  override async close(): Promise<void> {
    await Promise.all(this.subscriptions.map((s) => s.stop()));
    this.subscriptions = [];
    await super.close();
  }
}
