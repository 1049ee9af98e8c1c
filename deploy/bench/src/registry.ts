import { eventAppend } from './event-append.bench';
import { grpcToAudit } from './grpc-to-audit.bench';

export interface BenchContext {
  postgresUrl: string;
  kafkaBrokers: string[];
}

export const benchmarks: Record<string, (context: BenchContext) => Promise<Record<string, unknown>>> = {
  'event-append': eventAppend,
  'grpc-to-audit': grpcToAudit,
};
