import { freePort, startServiceProcess, testInfra, type ServiceProcess } from '@tagguard/testing';

export interface WeComConnection {
  tenantId: string;
  corpId: string;
  secret: string;
  baseUrl: string;
  callbackToken: string;
  callbackAesKey: string;
  callbackPort: number;
}

/** sync-service's environment with its WeCom connector pointed at `wecom` (a sandbox or the real API). */
export function syncServiceEnv(
  prefix: string,
  grpcPort: number,
  wecom: WeComConnection,
): Record<string, string> {
  const { postgresUrl, kafkaBrokers } = testInfra();
  return {
    DATABASE_URL: postgresUrl,
    KAFKA_BROKERS: kafkaBrokers.join(','),
    GRPC_PORT: String(grpcPort),
    DATABASE_SCHEMA: `${prefix}_sync`,
    EVENTSTORE_SCHEMA: `${prefix}_sync_es`,
    WECOM_TENANT_ID: wecom.tenantId,
    WECOM_CORP_ID: wecom.corpId,
    WECOM_SECRET: wecom.secret,
    WECOM_BASE_URL: wecom.baseUrl,
    WECOM_CALLBACK_TOKEN: wecom.callbackToken,
    WECOM_CALLBACK_AES_KEY: wecom.callbackAesKey,
    WECOM_CALLBACK_PORT: String(wecom.callbackPort),
    // Only the pull at start: every later change must come through a callback.
    WECOM_FULL_SYNC_INTERVAL_SECONDS: '0',
  };
}

/**
 * sync-service (its WeCom connector on) and tag-service, each its own process on the shared PostgreSQL and
 * Kafka in schemas of their own: the directory's path from WeCom to a tag-service decision.
 */
export async function startSyncAndTag(
  prefix: string,
  wecom: WeComConnection,
): Promise<{
  sync: ServiceProcess;
  tag: ServiceProcess;
  syncEnv: Record<string, string>;
  tagAddress: string;
}> {
  const { postgresUrl, kafkaBrokers } = testInfra();
  const [syncPort, tagPort] = [await freePort(), await freePort()];
  const syncEnv = syncServiceEnv(prefix, syncPort, wecom);
  const [sync, tag] = await Promise.all([
    startServiceProcess('sync-service', syncEnv),
    startServiceProcess('tag-service', {
      DATABASE_URL: postgresUrl,
      KAFKA_BROKERS: kafkaBrokers.join(','),
      GRPC_PORT: String(tagPort),
      DATABASE_SCHEMA: `${prefix}_tag`,
      EVENTSTORE_SCHEMA: `${prefix}_tag_es`,
    }),
  ]);
  return { sync, tag, syncEnv, tagAddress: `127.0.0.1:${tagPort}` };
}
