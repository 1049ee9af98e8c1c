// First import of main.ts: instrumentation must be in place before gRPC, pg and Nest load.
import { startTelemetry } from '@tagguard/telemetry';

startTelemetry('tag-service');
