import { parseArgs } from 'node:util';
import { loadSigningPrivateKey, signToken } from '@tagguard/auth';

// `npm run token -- --tenant tenant-a --actor admin-1 --roles tenant_admin [--dept d1] [--ttl 3600]`:
// prints a token signed with the development key, for grpcurl's `-H "authorization: Bearer <token>"`.
const { values } = parseArgs({
  options: {
    tenant: { type: 'string' },
    actor: { type: 'string' },
    roles: { type: 'string', default: '' },
    dept: { type: 'string' },
    ttl: { type: 'string', default: '3600' },
  },
});
if (!values.tenant || !values.actor) {
  console.error(
    'usage: npm run token -- --tenant <tenant> --actor <user> [--roles r1,r2] [--dept <department>] [--ttl seconds]',
  );
  process.exit(2);
}
const roles = values.roles.split(',').filter(Boolean);
console.log(
  signToken(
    {
      tenantId: values.tenant,
      actorId: values.actor,
      roles,
      ...(values.dept ? { departmentId: values.dept } : {}),
    },
    loadSigningPrivateKey(),
    Number(values.ttl),
  ),
);
