import { asof } from './asof.bench';
import { directoryImport } from './directory-import.bench';
import { eventAppend } from './event-append.bench';
import { grpcToAudit } from './grpc-to-audit.bench';
import { ldapResync } from './ldap-resync.bench';
import { rebuild } from './rebuild.bench';
import { writeScale } from './write-scale.bench';

export interface BenchContext {
  postgresUrl: string;
  kafkaBrokers: string[];
  /** The infrastructure's slapd (deploy/local). */
  ldap?: { url: string; baseDn: string; adminDn: string; passwordFile: string; version: string };
}

export const benchmarks: Record<string, (context: BenchContext) => Promise<Record<string, unknown>>> = {
  'event-append': eventAppend,
  'grpc-to-audit': grpcToAudit,
  rebuild,
  asof,
  'write-scale': writeScale,
  'directory-import': directoryImport,
  'ldap-resync': ldapResync,
};
