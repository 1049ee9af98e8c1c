import { down, status, up, withoutPassword } from './infra';

const usage = 'usage: npm run infra -- up | down | status [--json]';

async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  const json = argv.includes('--json');
  const say = (line: string): void => {
    if (!json) console.log(line);
  };
  switch (command) {
    case 'up': {
      const { state, started } = await up(say);
      if (json) console.log(JSON.stringify(state));
      else {
        say(started ? 'infrastructure started' : 'infrastructure already running');
        say(
          `  postgres  ${withoutPassword(state.postgres.url)}  (pid ${state.postgres.pid}; the URL with its password: status --json)`,
        );
        say(
          `  kafka     ${state.kafka.brokers.join(',')}  (pid ${state.kafka.pid}, Apache Kafka ${state.kafka.version})`,
        );
        say(
          `  slapd     ${state.slapd.url}  (pid ${state.slapd.pid}, OpenLDAP ${state.slapd.version}, ${state.slapd.baseDn}, admin ${state.slapd.adminDn}, password in ${state.slapd.passwordFile})`,
        );
      }
      return 0;
    }
    case 'down':
      await down();
      say('infrastructure stopped');
      return 0;
    case 'status': {
      const s = status();
      if (json) console.log(JSON.stringify(s));
      else {
        say(
          `postgres  ${s.postgres.running ? `running  ${withoutPassword(s.postgres.url!)}  pid ${s.postgres.pid}` : 'stopped'}`,
        );
        say(
          `kafka     ${s.kafka.running ? `running  ${s.kafka.brokers?.join(',')}  pid ${s.kafka.pid}  ${s.kafka.version}` : 'stopped'}`,
        );
        say(
          `slapd     ${s.slapd.running ? `running  ${s.slapd.url}  pid ${s.slapd.pid}  ${s.slapd.version}  ${s.slapd.baseDn}` : 'stopped'}`,
        );
        say(`docker    ${s.dockerEngine ? 'engine available' : 'no engine (local processes are used)'}`);
      }
      return s.running ? 0 : 3;
    }
    default:
      console.error(usage);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
