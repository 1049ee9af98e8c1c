export {
  grpcServerOptions,
  HealthImplementation,
  RUNTIME_PACKAGE,
  type GrpcServerSpec,
} from './grpc-server-options';
export { grpcChannelCredentials, grpcServerCredentials, readGrpcTls, type GrpcTls } from './grpc-credentials';
export {
  readEventSourcedConfig,
  readServingConfig,
  type EventSourcedConfig,
  type ServingConfig,
} from './service-config';
export { protoRoot } from './proto-root';
export {
  runGrpcService,
  runServiceProcess,
  type GrpcServiceDefinition,
  type RunningGrpcService,
  type ServiceProcess,
  type ServiceRuntime,
} from './run-grpc-service';
export type { ServiceIdentity } from './service-identity';
export { COMPONENT_REGISTRY, PLATFORM_OPERATOR } from './components.grpc.controller';
export { workspaceVersion } from './version';
export { toGrpcError, type GrpcError } from './errors/grpc-error';
export { GrpcErrorFilter } from './errors/grpc-error.filter';
export { RequestFieldError, RequestSchema, isFreeTextField } from './validation/request-fields';
export { GrpcRequestValidationInterceptor } from './validation/request-validation.interceptor';
export {
  ACCESS_DENIAL_CATEGORY,
  DENIAL_RECORDER,
  DenialRecorders,
  denialRecorderProvider,
  accessDeniedMessage,
  EventStoreDenialRecorder,
  resourceOf,
  withAccessDenials,
  type AccessDeniedEvent,
  type DenialRecorder,
  type RefusedCall,
} from './errors/denials';
