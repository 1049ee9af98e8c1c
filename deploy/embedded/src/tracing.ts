// First import of main.ts: instrumentation must be in place before gRPC, pg and Nest load. One SDK for
// the whole process; spans still name their service through the gRPC method and messaging attributes.
import { startTelemetry } from '@tagguard/telemetry';

startTelemetry('tagguard-embedded');
