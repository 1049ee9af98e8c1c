import { parseArgs } from 'node:util';
import { loadSigningPrivateKey, signToken } from '@tagguard/auth';

const MAX_TTL_SECONDS = 30 * 24 * 3600;

export const TOKEN_USAGE = `Usage: npm run -s token -- --tenant <tenant> --actor <user> [--roles r1,r2] [--dept <department>] [--ttl <seconds>]

Prints a caller token on stdout, signed with AUTH_PRIVATE_KEY_FILE (else the development key), for
grpcurl -H "authorization: Bearer <token>"; what it grants goes to stderr, so
TOKEN=$(npm run -s token -- ...) captures the token alone.

Options:
  --tenant <id>      the tenant the caller acts in (required)
  --actor <id>       the caller's user id (required)
  --roles <list>     comma-separated roles; without tenant_admin the token can read but not write.
                     Known: tenant_admin, platform_operator, tag_recovery
  --dept <id>        the caller's department
  --ttl <seconds>    lifetime, 1 to ${MAX_TTL_SECONDS} (30 days); default 3600
  -h, --help         this text

Example (a caller that can write):
  TOKEN=$(npm run -s token -- --tenant tenant-a --actor admin-1 --roles tenant_admin)

Exit codes: 0 token printed, 2 bad or missing options, 1 the signing key cannot be read.`;

interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  now?: Date;
}

class UsageError extends Error {}

function options(
  argv: string[],
): { tenant: string; actor: string; roles: string[]; dept?: string; ttl: number } | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        tenant: { type: 'string' },
        actor: { type: 'string' },
        roles: { type: 'string', default: '' },
        dept: { type: 'string' },
        ttl: { type: 'string', default: '3600' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    // node:util's messages name the flag ("Unknown option '--tennant'"); the stack helps nobody here.
    throw new UsageError(error instanceof Error ? error.message.split('\n')[0]! : String(error));
  }
  if (values.help) return 'help';
  const missing = (['tenant', 'actor'] as const).filter((k) => !values[k]?.trim());
  if (missing.length) throw new UsageError(`missing ${missing.map((k) => `--${k}`).join(' and ')}`);
  if (!/^\d+$/.test(values.ttl) || Number(values.ttl) < 1 || Number(values.ttl) > MAX_TTL_SECONDS)
    throw new UsageError(
      `--ttl must be a whole number of seconds from 1 to ${MAX_TTL_SECONDS}, got "${values.ttl}"`,
    );
  return {
    tenant: values.tenant!.trim(),
    actor: values.actor!.trim(),
    roles: values.roles
      .split(',')
      .map((r) => r.trim())
      .filter(Boolean),
    ...(values.dept ? { dept: values.dept } : {}),
    ttl: Number(values.ttl),
  };
}

const duration = (seconds: number): string =>
  seconds % 86_400 === 0
    ? `${seconds / 86_400} d`
    : seconds % 3600 === 0
      ? `${seconds / 3600} h`
      : seconds % 60 === 0
        ? `${seconds / 60} min`
        : `${seconds} s`;

/** The CLI without the process: returns the exit code. */
export function runTokenCli(argv: string[], io: Io): number {
  let parsed;
  try {
    parsed = options(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`token: ${error.message}`);
    io.err('Run with --help for the options.');
    return 2;
  }
  if (parsed === 'help') {
    io.out(TOKEN_USAGE);
    return 0;
  }
  let key: string;
  try {
    key = loadSigningPrivateKey();
  } catch (error) {
    io.err(`token: cannot read the signing key: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  const now = io.now ?? new Date();
  const token = signToken(
    {
      tenantId: parsed.tenant,
      actorId: parsed.actor,
      roles: parsed.roles,
      ...(parsed.dept ? { departmentId: parsed.dept } : {}),
    },
    key,
    parsed.ttl,
    now,
  );
  const expires = new Date((Math.floor(now.getTime() / 1000) + parsed.ttl) * 1000).toISOString();
  io.out(token);
  io.err(
    `token: ${parsed.actor} in ${parsed.tenant}, roles [${parsed.roles.join(', ')}], valid for ${duration(parsed.ttl)} (until ${expires})`,
  );
  if (parsed.roles.includes('platform_operator') && !parsed.roles.includes('tenant_admin'))
    io.err(
      'token: a platform operator token: platform operations (RebuildReadModels, ListComponents), no tag writes',
    );
  else if (!parsed.roles.includes('tenant_admin'))
    io.err(
      'token: without the tenant_admin role this token can read but not write (add --roles tenant_admin)',
    );
  return 0;
}

if (require.main === module)
  process.exitCode = runTokenCli(process.argv.slice(2), {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  });
