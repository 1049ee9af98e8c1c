export {
  grpcServerOptions,
  HealthImplementation,
  RUNTIME_PACKAGE,
  type GrpcServerSpec,
} from './grpc-server-options';
export { protoRoot } from './proto-root';
export {
  exitOnSignals,
  runGrpcService,
  type GrpcServiceDefinition,
  type RunningGrpcService,
} from './run-grpc-service';
export type { ServiceIdentity } from './service-identity';
export { workspaceVersion } from './version';
export { toGrpcError, type GrpcError } from './errors/grpc-error';
export { GrpcErrorFilter } from './errors/grpc-error.filter';
