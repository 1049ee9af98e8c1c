import 'reflect-metadata';
import { Global, Module, type DynamicModule, type INestMicroservice, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { DestinationStream } from 'pino';
import {
  createLogger,
  lifecycleLogger,
  NestPinoLogger,
  registerServiceLogger,
  type Logger,
} from '@tagguard/logging';
import type { MessageTransport } from '@tagguard/messaging';
import { ComponentRegistry, isHealthy, stopTelemetry, traceLogFields } from '@tagguard/telemetry';
import { COMPONENT_REGISTRY, ComponentsGrpcController } from './components.grpc.controller';
import { GrpcAndEventsServer } from './grpc-and-events.server';
import { DenialRecorders } from './errors/denials';
import { GrpcErrorFilter } from './errors/grpc-error.filter';
import { GrpcAccessLogInterceptor } from './grpc-access-log.interceptor';
import { grpcServerCredentials, grpcTlsMode, type GrpcTls } from './grpc-credentials';
import { grpcServerOptions, HealthImplementation, RUNTIME_PACKAGE } from './grpc-server-options';
import { protoRoot } from './proto-root';
import { RequestSchema } from './validation/request-fields';
import { GrpcRequestValidationInterceptor } from './validation/request-validation.interceptor';
import { SERVICE_IDENTITY, type ServiceIdentity } from './service-identity';
import { ServiceInfoGrpcController } from './service-info.grpc.controller';

export interface GrpcServiceDefinition {
  name: string;
  version: string;
  module: Type<unknown> | DynamicModule;
  host: string;
  port: number;
  packages?: string[];
  protoFiles?: string[];
  /** Fully qualified gRPC service names reported by grpc.health.v1 beside the overall "" status. */
  healthServices?: string[];
  /** Where the service's @EventPattern handlers consume from; without it they stay unbound. */
  events?: MessageTransport;
  /** Where JSON log lines go; stdout unless a test captures them. */
  logDestination?: DestinationStream;
  /** Serve TLS (mTLS with a client CA); plaintext without (readGrpcTls reads it from the config). */
  tls?: GrpcTls;
  /** Accepted but risky settings (e.g. AUTH_ALLOW_DEV_KEY=true), logged at warn before anything starts. */
  configWarnings?: { variable: string; message: string }[];
}

export interface RunningGrpcService {
  app: INestMicroservice;
  health: HealthImplementation;
  /** The service's background components; each has a health entry named after it. */
  components: ComponentRegistry;
  logger: Logger;
  url: string;
  stop(reason: string): Promise<void>;
}

@Global()
@Module({})
class GrpcRuntimeModule {
  static forService(
    identity: ServiceIdentity,
    components: ComponentRegistry,
    app: Type<unknown> | DynamicModule,
  ): DynamicModule {
    return {
      module: GrpcRuntimeModule,
      imports: [app],
      controllers: [ServiceInfoGrpcController, ComponentsGrpcController],
      providers: [
        { provide: SERVICE_IDENTITY, useValue: identity },
        { provide: COMPONENT_REGISTRY, useValue: components },
        DenialRecorders,
      ],
      exports: [SERVICE_IDENTITY, COMPONENT_REGISTRY, DenialRecorders],
    };
  }
}

/**
 * Boots one TagGuard service: JSON logs, gRPC with health and reflection, and a clean stop on
 * SIGTERM/SIGINT (health flips to NOT_SERVING first, in-flight calls finish, exit code 0). Each
 * background component in the registry (COMPONENT_REGISTRY, injectable anywhere) gets a health entry
 * named after it, SERVING while running or standing by; the overall "" is SERVING only while all are.
 */
export async function runGrpcService(definition: GrpcServiceDefinition): Promise<RunningGrpcService> {
  const logger = createLogger({
    service: definition.name,
    mixin: traceLogFields,
    ...(definition.logDestination ? { destination: definition.logDestination } : {}),
  });
  for (const { variable, message } of definition.configWarnings ?? [])
    logger.warn({ event: 'config.warning', variable }, message);
  const identity: ServiceIdentity = {
    name: definition.name,
    version: definition.version,
    startedAt: new Date(),
  };
  const checked = [
    `${RUNTIME_PACKAGE}.ServiceInfoService`,
    `${RUNTIME_PACKAGE}.ComponentsService`,
    ...(definition.healthServices ?? []),
  ];
  const components = new ComponentRegistry(logger);
  const health = new HealthImplementation(
    Object.fromEntries(['', ...checked].map((s) => [s, 'NOT_SERVING'])),
  );

  const grpc = grpcServerOptions({
    host: definition.host,
    port: definition.port,
    packages: definition.packages ?? [],
    protoFiles: definition.protoFiles ?? [],
    health,
  });
  const events = definition.events
    ? { transport: definition.events, serviceName: definition.name, components }
    : undefined;
  let serving = false;
  const overall = (): void =>
    health.setStatus('', serving && components.healthy() ? 'SERVING' : 'NOT_SERVING');
  // With a lease, "<service>.leader" tells the roles apart: SERVING on the leader, NOT_SERVING on a
  // standby (not part of the overall status: a healthy standby is not down).
  const leaderEntry = `${definition.name}.leader`;
  components.onChange((component) => {
    health.setStatus(component.name, serving && isHealthy(component.state) ? 'SERVING' : 'NOT_SERVING');
    const roles = components.list().map((c) => c.role);
    if (roles.some((r) => r !== 'single'))
      health.setStatus(leaderEntry, serving && roles.includes('leader') ? 'SERVING' : 'NOT_SERVING');
    overall();
  });
  const credentials = grpcServerCredentials(definition.tls);
  // The service's own ServiceLoggers write through this logger while it runs, beside others in a process
  // (D122): from before its modules are built to after they are closed, and not at all if it fails to start.
  const forgetLogger = registerServiceLogger(definition.name, logger);
  let app: INestMicroservice | undefined;
  try {
    app = await NestFactory.createMicroservice(
      GrpcRuntimeModule.forService(identity, components, definition.module),
      {
        strategy: new GrpcAndEventsServer({ ...grpc.options, credentials }, events),
        logger: new NestPinoLogger(logger),
        bufferLogs: false,
      },
    );
    app.useGlobalFilters(new GrpcErrorFilter(logger, app.get(DenialRecorders)));
    app.useGlobalInterceptors(
      new GrpcAccessLogInterceptor(logger),
      new GrpcRequestValidationInterceptor(RequestSchema.load(protoRoot(), definition.protoFiles ?? [])),
    );
    await app.listen();
  } catch (error) {
    await app?.close().catch(() => undefined);
    forgetLogger();
    throw error;
  }
  const started = app;
  serving = true;
  for (const service of checked) health.setStatus(service, 'SERVING');
  for (const component of components.list())
    health.setStatus(component.name, isHealthy(component.state) ? 'SERVING' : 'NOT_SERVING');
  if (components.list().some((c) => c.role !== 'single'))
    health.setStatus(
      leaderEntry,
      components.list().some((c) => c.role === 'leader') ? 'SERVING' : 'NOT_SERVING',
    );
  overall();
  const url = `${definition.host}:${definition.port}`;
  // Written at any LOG_LEVEL but silent (D114): whoever started the service waits for this line.
  const lifecycle = lifecycleLogger(logger);
  lifecycle.info(
    { event: 'service.started', grpc: url, tls: grpcTlsMode(definition.tls), version: definition.version },
    `${definition.name} serving gRPC on ${url}`,
  );

  let stopping: Promise<void> | undefined;
  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      lifecycle.info({ event: 'service.stopping', reason }, `${definition.name} stopping (${reason})`);
      serving = false;
      for (const service of ['', leaderEntry, ...checked, ...components.list().map((c) => c.name)])
        health.setStatus(service, 'NOT_SERVING');
      try {
        await started.close();
      } finally {
        forgetLogger();
      }
      lifecycle.info({ event: 'service.stopped' }, `${definition.name} stopped`);
    })();
    return stopping;
  };
  return { app: started, health, components, logger, url, stop };
}

/** What a host gives a service it starts: the message transport and, in tests, where logs go. */
export interface ServiceRuntime {
  events?: MessageTransport;
  logDestination?: DestinationStream;
}

export interface ServiceProcess {
  service: RunningGrpcService;
  /** Closed after the service stopped, in order (e.g. the Kafka transport the process created). */
  closeAfterStop?: { close(): Promise<void> }[];
}

/**
 * The body of every service's main.ts: start it, and on SIGTERM/SIGINT stop it (health NOT_SERVING,
 * in-flight calls finish), close what the process owns, flush telemetry, exit 0; exit 1 if that takes
 * longer than the grace period or fails. A start failure is one fatal JSON line and exit 1.
 */
export function runServiceProcess(
  name: string,
  start: () => Promise<ServiceProcess>,
  graceMs = 10_000,
): void {
  start().then(
    ({ service, closeAfterStop = [] }) => {
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        process.once(signal, () => {
          const timer = setTimeout(() => {
            service.logger.error(
              { event: 'service.stop_timeout', graceMs },
              'graceful stop timed out; exiting',
            );
            process.exit(1);
          }, graceMs);
          timer.unref();
          (async () => {
            await service.stop(signal);
            for (const resource of closeAfterStop) await resource.close();
            await stopTelemetry();
          })().then(
            () => process.exit(0),
            (error: unknown) => {
              service.logger.error({ err: error }, 'error while stopping');
              process.exit(1);
            },
          );
        });
      }
    },
    (error: unknown) => {
      console.error(
        JSON.stringify({
          level: 'fatal',
          service: name,
          msg: error instanceof Error ? error.message : String(error),
        }),
      );
      process.exit(1);
    },
  );
}
