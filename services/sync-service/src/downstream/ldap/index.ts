export { LdapDirectory, LOCKED_BY_ADMINISTRATOR, type LdapDirectoryOptions } from './ldap-directory';
export { ldapDirectoryFor, loadLdapConfig, type LdapConfig } from './ldap.config';
