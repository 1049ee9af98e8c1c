import 'reflect-metadata';
import { Global, Module, type DynamicModule, type INestMicroservice, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { DestinationStream } from 'pino';
import { createLogger, NestPinoLogger, type Logger } from '@tagguard/logging';
import { stopTelemetry, traceLogFields } from '@tagguard/telemetry';
import { GrpcErrorFilter } from './errors/grpc-error.filter';
import { GrpcAccessLogInterceptor } from './grpc-access-log.interceptor';
import { grpcServerOptions, HealthImplementation, RUNTIME_PACKAGE } from './grpc-server-options';
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
  /** Where JSON log lines go; stdout unless a test captures them. */
  logDestination?: DestinationStream;
}

export interface RunningGrpcService {
  app: INestMicroservice;
  health: HealthImplementation;
  logger: Logger;
  url: string;
  stop(reason: string): Promise<void>;
}

@Global()
@Module({})
class GrpcRuntimeModule {
  static forService(identity: ServiceIdentity, app: Type<unknown> | DynamicModule): DynamicModule {
    return {
      module: GrpcRuntimeModule,
      imports: [app],
      controllers: [ServiceInfoGrpcController],
      providers: [{ provide: SERVICE_IDENTITY, useValue: identity }],
      exports: [SERVICE_IDENTITY],
    };
  }
}

/**
 * Boots one TagGuard service: JSON logs, gRPC with health and reflection, and a clean stop on
 * SIGTERM/SIGINT (health flips to NOT_SERVING first, in-flight calls finish, exit code 0).
 */
export async function runGrpcService(definition: GrpcServiceDefinition): Promise<RunningGrpcService> {
  const logger = createLogger({
    service: definition.name,
    mixin: traceLogFields,
    ...(definition.logDestination ? { destination: definition.logDestination } : {}),
  });
  const identity: ServiceIdentity = {
    name: definition.name,
    version: definition.version,
    startedAt: new Date(),
  };
  const checked = [`${RUNTIME_PACKAGE}.ServiceInfoService`, ...(definition.healthServices ?? [])];
  const health = new HealthImplementation(
    Object.fromEntries(['', ...checked].map((s) => [s, 'NOT_SERVING'])),
  );

  const app = await NestFactory.createMicroservice(
    GrpcRuntimeModule.forService(identity, definition.module),
    {
      ...grpcServerOptions({
        host: definition.host,
        port: definition.port,
        packages: definition.packages ?? [],
        protoFiles: definition.protoFiles ?? [],
        health,
      }),
      logger: new NestPinoLogger(logger),
      bufferLogs: false,
    },
  );
  app.useGlobalFilters(new GrpcErrorFilter(logger));
  app.useGlobalInterceptors(new GrpcAccessLogInterceptor(logger));
  await app.listen();
  for (const service of ['', ...checked]) health.setStatus(service, 'SERVING');
  const url = `${definition.host}:${definition.port}`;
  logger.info(
    { event: 'service.started', grpc: url, version: definition.version },
    `${definition.name} serving gRPC on ${url}`,
  );

  let stopping: Promise<void> | undefined;
  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      logger.info({ event: 'service.stopping', reason }, `${definition.name} stopping (${reason})`);
      for (const service of ['', ...checked]) health.setStatus(service, 'NOT_SERVING');
      await app.close();
      await stopTelemetry();
      logger.info({ event: 'service.stopped' }, `${definition.name} stopped`);
    })();
    return stopping;
  };
  return { app, health, logger, url, stop };
}

/** Wires process signals to `stop` for a service run as its own process. */
export function exitOnSignals(service: RunningGrpcService, graceMs = 10_000): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      const timer = setTimeout(() => {
        service.logger.error({ event: 'service.stop_timeout', graceMs }, 'graceful stop timed out; exiting');
        process.exit(1);
      }, graceMs);
      timer.unref();
      service.stop(signal).then(
        () => process.exit(0),
        (error: unknown) => {
          service.logger.error({ err: error }, 'error while stopping');
          process.exit(1);
        },
      );
    });
  }
}
