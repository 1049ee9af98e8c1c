import { downstreamConnectors } from './connectors';
import { loadExmailConfig } from './exmail/exmail.config';
import { loadScimConfig } from './scim/scim.config';

const exmail = {
  EXMAIL_BASE_URL: 'http://127.0.0.1:9/exmail',
  EXMAIL_CORP_ID: 'wwcorp',
  EXMAIL_SECRET: 'sec',
  EXMAIL_TENANT_ID: 'tenant-a',
  EXMAIL_EMPTY_GROUP_DEPARTMENT_ID: '7',
};
const scim = { SCIM_URL: 'http://127.0.0.1:9/scim/v2', SCIM_TOKEN: 'tok' };

describe('exmail and scim connector configuration', () => {
  it('given neither variable, then neither connector is offered', () => {
    expect(loadExmailConfig({})).toBeUndefined();
    expect(loadScimConfig({})).toBeUndefined();
    expect(Object.keys(downstreamConnectors({}))).toEqual([]);
  });

  it('given EXMAIL_*, then "exmail" is offered to EXMAIL_TENANT_ID only; given SCIM_*, "scim" to every tenant unless SCIM_TENANT_ID', () => {
    const offered = downstreamConnectors({ ...exmail, ...scim, DATABASE_URL: 'postgres://x@127.0.0.1:9/x' });
    expect(Object.keys(offered).sort()).toEqual(['exmail', 'scim']);
    expect(offered['exmail']!.onlyTenant).toBe('tenant-a');
    expect(offered['scim']!.onlyTenant).toBeUndefined();
    expect(downstreamConnectors({ ...scim, SCIM_TENANT_ID: 'tenant-b' })['scim']!.onlyTenant).toBe(
      'tenant-b',
    );
    expect(loadExmailConfig(exmail)).toMatchObject({ accountDepartmentId: 1, emptyGroupDepartmentId: 7 });
  });

  it.each([
    [{ ...exmail, EXMAIL_BASE_URL: 'ftp://x' }, 'EXMAIL_BASE_URL'],
    [{ ...exmail, EXMAIL_SECRET: '' }, 'EXMAIL_SECRET'],
    [{ ...exmail, EXMAIL_TENANT_ID: '' }, 'EXMAIL_TENANT_ID'],
    [{ ...exmail, EXMAIL_CORP_ID: '' }, 'EXMAIL_CORP_ID'],
    [{ ...exmail, EXMAIL_EMPTY_GROUP_DEPARTMENT_ID: 'x' }, 'EXMAIL_EMPTY_GROUP_DEPARTMENT_ID'],
    [{ ...scim, SCIM_URL: 'not a url' }, 'SCIM_URL'],
    [{ ...scim, SCIM_TOKEN: '' }, 'SCIM_TOKEN_FILE'],
    [{ ...scim, SCIM_TIMEOUT_MS: '5' }, 'SCIM_TIMEOUT_MS'],
  ])('given a bad value, then the start stops naming the variable (%#: %s)', (env, name) => {
    expect(() => downstreamConnectors({ DATABASE_URL: 'postgres://x@127.0.0.1:9/x', ...env })).toThrow(
      new RegExp(`^${name}: `),
    );
  });

  it('given EXMAIL_* without DATABASE_URL (its key store), then the start stops naming DATABASE_URL', () => {
    expect(() => downstreamConnectors(exmail)).toThrow(/^DATABASE_URL: /);
  });
});
