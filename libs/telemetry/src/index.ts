export { startTelemetry, stopTelemetry } from './start-telemetry';
export { contextFrom, currentTraceHeaders, traceLogFields } from './trace-context';
