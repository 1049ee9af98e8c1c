import { join } from 'node:path';
import { loadSync } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import type { GrpcOptions } from '@nestjs/microservices';
import { Transport } from '@nestjs/microservices';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import { protoRoot } from './proto-root';
import { withProtobufMapEntryNames } from './reflection-descriptors';

export const RUNTIME_PACKAGE = 'tagguard.runtime.v1';
const RUNTIME_PROTOS = ['tagguard/runtime/v1/service_info.proto', 'tagguard/runtime/v1/components.proto'];

export interface GrpcServerSpec {
  host: string;
  port: number;
  /** Proto packages whose services Nest binds to controllers, e.g. ["tagguard.tag.v1"]. */
  packages: string[];
  /** Proto files relative to the proto root, e.g. ["tagguard/tag/v1/tag_service.proto"]. */
  protoFiles: string[];
  health: HealthImplementation;
}

/**
 * Nest's gRPC transport plus the two services every platform caller expects:
 * grpc.health.v1.Health (added beside Nest's services, so Nest never binds it) and server reflection
 * over every loaded descriptor, health included.
 */
export function grpcServerOptions(spec: GrpcServerSpec): GrpcOptions {
  const root = protoRoot();
  const includeDirs = [root, join(healthProtoPath, '..', '..', '..')];
  const protoPath = [...RUNTIME_PROTOS, ...spec.protoFiles, healthProtoPath];
  return {
    transport: Transport.GRPC,
    options: {
      url: `${spec.host}:${spec.port}`,
      package: [RUNTIME_PACKAGE, ...spec.packages],
      protoPath,
      loader: {
        includeDirs,
        keepCase: false,
        longs: String,
        enums: String,
        defaults: true,
        oneofs: true,
      },
      onLoadPackageDefinition: (_definition, server) => {
        // Reflection must describe the .proto files as written (snake_case fields, map entries), so it
        // gets its own load with keepCase; Nest's camelCase definition would mislead grpcurl and friends.
        const asWritten = withProtobufMapEntryNames(
          loadSync([...RUNTIME_PROTOS, ...spec.protoFiles, 'grpc/health/v1/health.proto'], {
            keepCase: true,
            includeDirs: [root],
          }),
        );
        new ReflectionService(asWritten).addToServer(server);
        spec.health.addToServer(server);
      },
    },
  };
}

export { HealthImplementation };
