import { ConfigError, readEnv } from '@tagguard/config';
import { readServingConfig, type ServingConfig } from '@tagguard/grpc-runtime';
import { resolveTreeHeadKey, type TreeHeadKey } from './tree-head-key';

export interface AuditServiceConfig extends ServingConfig {
  /** postgres:// URL of audit-service's own database. */
  databaseUrl: string;
  databaseSchema: string;
  /** Kafka bootstrap servers; without them nothing is consumed and the trail stays as it is. */
  kafkaBrokers: string[];
  /** Kafka group session timeout: how soon a crashed instance's partitions move to a live one. */
  kafkaSessionTimeoutMs: number;
  /** AUDIT_TREE_HEAD_KEY_FILE: the Ed25519 key that signs tree heads. */
  treeHeadKey: TreeHeadKey;
  /** AUDIT_TREE_HEAD_INTERVAL_MS: how often a tree head is signed for every log that grew. */
  treeHeadIntervalMs: number;
  /**
   * AUDIT_WITNESS_URLS: `tenant=https://hq.example/sth,*=https://…` — where each tenant's tree heads are
   * sent (its HQ audit endpoint); `*` is every other tenant.
   */
  witnessUrls: Map<string, string>;
  notifications: NotificationsConfig;
}

/** Notification delivery (src/notifications); every value has a default. */
export interface NotificationsConfig {
  /** AUDIT_SMTP_URL (smtp://user:pass@host:port, smtps://…): the relay e-mail channels send through. */
  smtpUrl?: string;
  /** AUDIT_SMTP_FROM. */
  smtpFrom: string;
  /** AUDIT_WECOM_API_URL: WeCom's server API (a sandbox's URL in tests and the demo). */
  wecomApiUrl: string;
  /** AUDIT_NOTIFY_POLL_MS: how often the outbox is polled for due deliveries. */
  pollMs: number;
  /** AUDIT_NOTIFY_MAX_ATTEMPTS, AUDIT_NOTIFY_RETRY_BASE_MS, AUDIT_NOTIFY_RETRY_MAX_MS: the retry schedule. */
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** AUDIT_DIGEST_PERIOD_MS: warnings are batched into one digest per channel per period. */
  digestPeriodMs: number;
}

export function readWitnessUrls(value: string | undefined): Map<string, string> {
  const urls = new Map<string, string>();
  for (const entry of (value ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const at = entry.indexOf('=');
    const [tenant, url] = [entry.slice(0, at).trim(), entry.slice(at + 1).trim()];
    if (at < 1 || !/^https?:\/\//.test(url))
      throw new ConfigError('AUDIT_WITNESS_URLS', `"${entry}" must be <tenant or *>=<http(s) URL>`);
    urls.set(tenant, url);
  }
  return urls;
}

export function loadAuditServiceConfig(
  env: Record<string, string | undefined> = process.env,
): AuditServiceConfig {
  const read = readEnv(env);
  return {
    ...readServingConfig(env, 50054),
    databaseUrl: read.string('DATABASE_URL'),
    databaseSchema: read.string('DATABASE_SCHEMA', 'audit_service'),
    kafkaBrokers: read.list('KAFKA_BROKERS'),
    kafkaSessionTimeoutMs: read.integer('KAFKA_SESSION_TIMEOUT_MS', {
      fallback: 30_000,
      min: 6_000,
      max: 300_000,
    }),
    treeHeadKey: resolveTreeHeadKey(env),
    treeHeadIntervalMs: read.integer('AUDIT_TREE_HEAD_INTERVAL_MS', {
      fallback: 60_000,
      min: 200,
      max: 86_400_000,
    }),
    witnessUrls: readWitnessUrls(read.optional('AUDIT_WITNESS_URLS')),
    notifications: {
      ...(read.optional('AUDIT_SMTP_URL') ? { smtpUrl: read.optional('AUDIT_SMTP_URL')! } : {}),
      smtpFrom: read.string('AUDIT_SMTP_FROM', 'TagGuard <tagguard@localhost>'),
      wecomApiUrl: read.string('AUDIT_WECOM_API_URL', 'https://qyapi.weixin.qq.com'),
      pollMs: read.integer('AUDIT_NOTIFY_POLL_MS', { fallback: 1_000, min: 50, max: 60_000 }),
      maxAttempts: read.integer('AUDIT_NOTIFY_MAX_ATTEMPTS', { fallback: 8, min: 1, max: 50 }),
      retryBaseMs: read.integer('AUDIT_NOTIFY_RETRY_BASE_MS', { fallback: 5_000, min: 10, max: 3_600_000 }),
      retryMaxMs: read.integer('AUDIT_NOTIFY_RETRY_MAX_MS', {
        fallback: 3_600_000,
        min: 10,
        max: 86_400_000,
      }),
      digestPeriodMs: read.integer('AUDIT_DIGEST_PERIOD_MS', {
        fallback: 3_600_000,
        min: 200,
        max: 604_800_000,
      }),
    },
  };
}
