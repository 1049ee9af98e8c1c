import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { InvalidCredentialsError, Client as LdapClient } from 'ldapts';
import { eventually, testInfra, testLdap } from '@tagguard/testing';
import { status } from './infra';

// Proves the servers the test run depends on are real: a broker with consumer groups and a database
// with transactions, both as separate processes on this machine.
describe('local infrastructure smoke test', () => {
  const { postgresUrl, kafkaBrokers } = testInfra();

  it('runs PostgreSQL and Kafka as live local processes', () => {
    const s = status();
    expect(s.postgres).toMatchObject({ running: true, url: postgresUrl });
    expect(s.kafka).toMatchObject({ running: true, brokers: kafkaBrokers });
    expect(s.postgres.pid).not.toBe(process.pid);
    expect(s.slapd).toMatchObject({ running: true, url: testLdap().url });
  });

  it('runs slapd on loopback: the generated admin password binds, a wrong one and anonymous reads do not', async () => {
    const ldap = testLdap();
    expect(new URL(ldap.url).hostname).toBe('127.0.0.1');
    const client = new LdapClient({ url: ldap.url });
    try {
      await client.bind(ldap.adminDn, ldap.adminPassword);
      const { searchEntries } = await client.search(ldap.baseDn, { scope: 'base' });
      expect(searchEntries.map((e) => e.dn)).toEqual([ldap.baseDn]);
      await client.unbind();
      await expect(client.bind(ldap.adminDn, `${ldap.adminPassword}x`)).rejects.toBeInstanceOf(
        InvalidCredentialsError,
      );
      const anonymous = await client.search(ldap.baseDn, { scope: 'sub' }).catch((e: Error) => e);
      expect(anonymous instanceof Error ? [] : anonymous.searchEntries).toEqual([]);
    } finally {
      await client.unbind().catch(() => undefined);
    }
  });

  it('produces a message and consumes it through a consumer group that commits its offset', async () => {
    const kafka = new Kafka({ clientId: 'smoke', brokers: kafkaBrokers, logLevel: logLevel.NOTHING });
    const topic = `smoke.${randomUUID()}`;
    const groupId = `smoke.${randomUUID()}`;
    const admin = kafka.admin();
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId });
    await Promise.all([admin.connect(), producer.connect(), consumer.connect()]);
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
      const body = `hello ${randomUUID()}`;
      await producer.send({
        topic,
        messages: [{ key: 'tag-1', value: body, headers: { traceparent: '00-abc-def-01' } }],
      });

      const received: { value: string; key: string; header: string }[] = [];
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          received.push({
            value: message.value!.toString(),
            key: message.key!.toString(),
            header: message.headers!['traceparent']!.toString(),
          });
        },
      });
      await eventually(
        () => expect(received).toEqual([{ value: body, key: 'tag-1', header: '00-abc-def-01' }]),
        30_000,
      );

      await eventually(async () => {
        const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
        const committed = offsets!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
        expect(committed).toBe(1);
      }, 15_000);
      const { groups } = await admin.describeGroups([groupId]);
      expect(groups[0]!.members).toHaveLength(1);
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });

  it('commits one transaction and rolls another back', async () => {
    const client = new Client({ connectionString: postgresUrl });
    await client.connect();
    const table = `smoke_${randomUUID().replace(/-/g, '')}`;
    try {
      await client.query(`CREATE TABLE ${table} (id int PRIMARY KEY, note text NOT NULL)`);

      await client.query('BEGIN');
      await client.query(`INSERT INTO ${table} VALUES (1, 'kept')`);
      await client.query('COMMIT');

      await client.query('BEGIN');
      await client.query(`INSERT INTO ${table} VALUES (2, 'discarded')`);
      await client.query('ROLLBACK');

      const { rows } = await client.query(`SELECT id, note FROM ${table} ORDER BY id`);
      expect(rows).toEqual([{ id: 1, note: 'kept' }]);

      const { rows: server } = await client.query(
        `SELECT current_setting('server_version_num')::int AS version`,
      );
      expect(server[0].version).toBeGreaterThanOrEqual(140000);
    } finally {
      await client.query(`DROP TABLE IF EXISTS ${table}`);
      await client.end();
    }
  });

  it('is the npm-shipped PostgreSQL 18 on loopback, and refuses a client without the password', async () => {
    const client = new Client({ connectionString: postgresUrl });
    await client.connect();
    try {
      const { rows } = await client.query(
        `SELECT current_setting('server_version_num')::int / 10000 AS major, current_setting('listen_addresses') AS listen`,
      );
      expect(rows[0]).toMatchObject({ major: 18, listen: '127.0.0.1' });
    } finally {
      await client.end();
    }
    const anonymous = new URL(postgresUrl);
    anonymous.password = '';
    const intruder = new Client({ connectionString: anonymous.toString() });
    await expect(intruder.connect()).rejects.toThrow(/password/);
    await intruder.end().catch(() => undefined);
  });
});
