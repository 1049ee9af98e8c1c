import { down } from '../infra';

/** Stops the servers only if this test run started them; a developer's `infra up` stays up. */
export default async function globalTeardown(): Promise<void> {
  if (process.env['TAGGUARD_INFRA_STARTED_BY_TESTS'] !== '1' || process.env['TAGGUARD_KEEP_INFRA'] === '1')
    return;
  await down();
  delete process.env['TAGGUARD_INFRA_STARTED_BY_TESTS'];
  delete process.env['TAGGUARD_INFRA_READY'];
}
