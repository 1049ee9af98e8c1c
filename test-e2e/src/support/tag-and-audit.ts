import { freePort, startServiceProcess, testInfra, type ServiceProcess } from '@tagguard/testing';

export interface TagAndAudit {
  tag: ServiceProcess;
  audit: ServiceProcess;
  tagAddress: string;
  auditAddress: string;
  stop(): Promise<void>;
}

/**
 * tag-service and audit-service, each its own process on the shared PostgreSQL and Kafka, in schemas of
 * their own (`<prefix>_tag`, `<prefix>_es`, `<prefix>_audit`): the slice most end-to-end tests drive.
 */
export async function startTagAndAudit(prefix: string): Promise<TagAndAudit> {
  const { postgresUrl, kafkaBrokers } = testInfra();
  const [tagPort, auditPort] = [await freePort(), await freePort()];
  const common = { DATABASE_URL: postgresUrl, KAFKA_BROKERS: kafkaBrokers.join(',') };
  const [tag, audit] = await Promise.all([
    startServiceProcess('tag-service', {
      ...common,
      GRPC_PORT: String(tagPort),
      DATABASE_SCHEMA: `${prefix}_tag`,
      EVENTSTORE_SCHEMA: `${prefix}_es`,
    }),
    startServiceProcess('audit-service', {
      ...common,
      GRPC_PORT: String(auditPort),
      DATABASE_SCHEMA: `${prefix}_audit`,
    }),
  ]);
  return {
    tag,
    audit,
    tagAddress: `127.0.0.1:${tagPort}`,
    auditAddress: `127.0.0.1:${auditPort}`,
    async stop() {
      await Promise.all([tag.stop('SIGTERM'), audit.stop('SIGTERM')]);
    },
  };
}
