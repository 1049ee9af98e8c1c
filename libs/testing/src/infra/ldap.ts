import { readFileSync } from 'node:fs';

export interface TestLdap {
  url: string;
  baseDn: string;
  adminDn: string;
  adminPassword: string;
}

/** The real slapd of this test run, as published by the global setup. Fails loudly when it did not run. */
export function testLdap(): TestLdap {
  const url = process.env['TAGGUARD_LDAP_URL'];
  const baseDn = process.env['TAGGUARD_LDAP_BASE_DN'];
  const adminDn = process.env['TAGGUARD_LDAP_ADMIN_DN'];
  const passwordFile = process.env['TAGGUARD_LDAP_ADMIN_PASSWORD_FILE'];
  if (!url || !baseDn || !adminDn || !passwordFile) {
    throw new Error(
      'TAGGUARD_LDAP_* are not set: run with projectConfig(..., { infra: true }) (the global setup starts slapd)',
    );
  }
  return { url, baseDn, adminDn, adminPassword: readFileSync(passwordFile, 'utf8').trim() };
}
