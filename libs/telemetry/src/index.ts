export { startTelemetry, stopTelemetry } from './start-telemetry';
export { contextFrom, currentTraceHeaders, traceLogFields } from './trace-context';
export {
  ComponentRegistry,
  errorMessage,
  isHealthy,
  type ComponentHandle,
  type ComponentKind,
  type ComponentLag,
  type ComponentLogger,
  type ComponentRole,
  type ComponentSpec,
  type ComponentState,
  type ComponentStatus,
  type ParkedEntry,
} from './components';
