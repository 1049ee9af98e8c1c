import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { cacheDir, stateDir, workspaceRoot } from './paths';
import { freePort } from '@tagguard/testing';
import { isAlive, startDetached, stopProcessGroup, waitUntil } from './processes';

export interface KafkaEndpoint {
  brokers: string[];
  port: number;
  controllerPort: number;
  pid: number;
  version: string;
}

const pomFile = join(workspaceRoot, 'deploy', 'local', 'kafka', 'pom.xml');

export function kafkaVersion(): string {
  const match = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(readFileSync(pomFile, 'utf8'));
  if (!match?.[1]) throw new Error(`no <kafka.version> in ${pomFile}`);
  return match[1];
}

/**
 * The broker's runtime classpath, resolved by Maven from Maven Central into a cache outside the repo.
 * A marker file written last makes an interrupted download retry instead of running half a classpath.
 */
export function ensureKafkaClasspath(log: (line: string) => void = () => undefined): string {
  const libDir = join(cacheDir, `kafka-${kafkaVersion()}`, 'libs');
  const marker = join(libDir, '.complete');
  if (existsSync(marker)) return libDir;
  rmSync(libDir, { recursive: true, force: true });
  mkdirSync(libDir, { recursive: true });
  log(`resolving Apache Kafka ${kafkaVersion()} from Maven Central into ${libDir}`);
  execFileSync(
    'mvn',
    [
      '-B',
      '-q',
      '-f',
      pomFile,
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${libDir}`,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const jars = readdirSync(libDir).filter((f) => f.endsWith('.jar'));
  if (!jars.some((j) => j.startsWith('kafka_2.13-')))
    throw new Error(`Maven did not deliver the broker jar into ${libDir}`);
  writeFileSync(marker, `${jars.length} jars\n`);
  return libDir;
}

export function javaMajorVersion(): number {
  // `java -version` prints to stderr.
  const { stderr, error } = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (error) throw new Error(`Java 17+ is needed to run Kafka and none was found on PATH: ${error.message}`);
  const match = /version "(\d+)(?:\.(\d+))?/.exec(stderr);
  if (!match) throw new Error(`cannot read the Java version from: ${stderr}`);
  return match[1] === '1' ? Number(match[2]) : Number(match[1]);
}

function serverProperties(dataDir: string, port: number, controllerPort: number): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `controller.quorum.bootstrap.servers=127.0.0.1:${controllerPort}`,
    `log.dirs=${dataDir}`,
    'num.partitions=3',
    // A single node: every internal topic must fit on one replica or consumer groups never form.
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    // Topics are created on purpose (by the services' topic declarations), never by a typo.
    'auto.create.topics.enable=false',
    'log.flush.interval.messages=9223372036854775807',
    '',
  ].join('\n');
}

const log4j2 = [
  'status = warn',
  'appender.console.type = Console',
  'appender.console.name = STDOUT',
  'appender.console.layout.type = PatternLayout',
  'appender.console.layout.pattern = [%d] %p %m (%c)%n',
  'rootLogger.level = INFO',
  'rootLogger.appenderRef.stdout.ref = STDOUT',
  'logger.kafka.name = kafka',
  'logger.kafka.level = WARN',
  'logger.apache.name = org.apache.kafka',
  'logger.apache.level = WARN',
  '',
].join('\n');

export async function startKafka(log: (line: string) => void = () => undefined): Promise<KafkaEndpoint> {
  const java = javaMajorVersion();
  if (java < 17) throw new Error(`Kafka ${kafkaVersion()} needs Java 17 or newer; found Java ${java}`);
  const libDir = ensureKafkaClasspath(log);
  const classpath = `${libDir}/*`;
  const home = join(stateDir, 'kafka');
  // A fresh log dir each start: ports change, and tests must not see yesterday's topics.
  rmSync(home, { recursive: true, force: true });
  mkdirSync(home, { recursive: true });
  const dataDir = join(home, 'data');
  const [port, controllerPort] = [await freePort(), await freePort()];
  const propsFile = join(home, 'server.properties');
  const log4jFile = join(home, 'log4j2.properties');
  writeFileSync(propsFile, serverProperties(dataDir, port, controllerPort));
  writeFileSync(log4jFile, log4j2);

  const javaOpts = [`-Dlog4j2.configurationFile=${log4jFile}`, '-cp', classpath];
  const clusterId = kafkaClusterId();
  execFileSync(
    'java',
    [...javaOpts, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', propsFile, '--standalone'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );

  const logFile = join(stateDir, 'kafka.log');
  const pid = startDetached(
    'java',
    [
      '-Xms256m',
      '-Xmx512m',
      '-XX:+UseG1GC',
      '-Djava.awt.headless=true',
      ...javaOpts,
      'kafka.Kafka',
      propsFile,
    ],
    { logFile, pidFile: join(stateDir, 'kafka.pid') },
  );
  const brokers = [`127.0.0.1:${port}`];
  await waitUntil('Kafka', () => probeKafka(brokers), {
    timeoutMs: 90_000,
    logFile,
    stillRunning: () => isAlive(pid),
  });
  return { brokers, port, controllerPort, pid, version: kafkaVersion() };
}

/** What `kafka-storage random-uuid` prints (base64url of 16 random bytes, never starting with "-"), minus a JVM start. */
function kafkaClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** Ready means an admin client can create and list a topic, as the services will. */
export async function probeKafka(brokers: string[]): Promise<void> {
  const admin = new Kafka({
    clientId: 'tagguard-infra',
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  }).admin();
  await admin.connect();
  try {
    const topic = 'tagguard.infra.readiness';
    const topics = await admin.listTopics();
    if (!topics.includes(topic)) {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    }
    if (!(await admin.listTopics()).includes(topic))
      throw new Error('readiness topic not listed after creation');
  } finally {
    await admin.disconnect();
  }
}

export async function stopKafka(endpoint: Pick<KafkaEndpoint, 'pid'>): Promise<void> {
  await stopProcessGroup(endpoint.pid, 30_000);
}
