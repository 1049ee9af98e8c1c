// Jest globalSetup: brings the real PostgreSQL, Kafka and slapd up once for the whole run (or reuses the ones a
// developer started with `npm run infra -- up`) and hands their addresses to the test workers via env.
import { up, withoutPassword } from '../infra';

export default async function globalSetup(): Promise<void> {
  if (process.env['TAGGUARD_INFRA_READY'] === '1') return;
  const started = Date.now();
  const { state, started: startedNow } = await up((line) => process.stderr.write(`[infra] ${line}\n`));
  process.env['TAGGUARD_PG_URL'] = state.postgres.url;
  process.env['TAGGUARD_KAFKA_BROKERS'] = state.kafka.brokers.join(',');
  process.env['TAGGUARD_LDAP_URL'] = state.slapd.url;
  process.env['TAGGUARD_LDAP_BASE_DN'] = state.slapd.baseDn;
  process.env['TAGGUARD_LDAP_ADMIN_DN'] = state.slapd.adminDn;
  process.env['TAGGUARD_LDAP_ADMIN_PASSWORD_FILE'] = state.slapd.passwordFile;
  process.env['TAGGUARD_INFRA_READY'] = '1';
  if (startedNow) process.env['TAGGUARD_INFRA_STARTED_BY_TESTS'] = '1';
  process.stderr.write(
    `[infra] ${startedNow ? 'started' : 'reusing'} PostgreSQL ${withoutPassword(state.postgres.url)}, Kafka ${state.kafka.brokers.join(',')} and slapd ${state.slapd.url} (${Date.now() - started} ms)\n`,
  );
}
