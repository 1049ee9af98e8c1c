import { asof } from './asof.bench';
import { audit } from './audit.bench';
import { directoryImport } from './directory-import.bench';
import { eventAppend } from './event-append.bench';
import { grpcToAudit } from './grpc-to-audit.bench';
import { permissionAnalysis } from './permission-analysis.bench';
import { permissionCheck } from './permission-check.bench';
import { muteDecide } from './mute-decide.bench';
import { ldapResync } from './ldap-resync.bench';
import { rebuild } from './rebuild.bench';
import { tagListFilter } from './tag-list-filter.bench';
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
  'permission-analysis': permissionAnalysis,
  'tag-list-filter': tagListFilter,
  'permission-check': permissionCheck,
  audit,
  'mute-decide': muteDecide,
  'ldap-resync': ldapResync,
};

/** Benchmarks that run in-process only: run.ts does not start PostgreSQL and Kafka for them. */
export const withoutInfra: ReadonlySet<string> = new Set([]);
