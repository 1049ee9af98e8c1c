export { eventually } from './eventually';
export {
  checkHealth,
  listServicesByReflection,
  messageFieldsByReflection,
  messageDescriptorByReflection,
  tagguardClient,
} from './grpc/platform-clients';
export { testInfra } from './infra/endpoints';
export { testLdap, type TestLdap } from './infra/ldap';
export { startServiceProcess, type ServiceProcess } from './process/service-process';
export { freePort, freePortRange } from './net/free-port';
export { imapLogin, startDovecot, type DovecotLdapPassdb, type DovecotServer } from './mail/dovecot';
export { dockerEngineAvailable } from './docker';
export { given } from './specification';
export { generateComposeSecrets, type ComposeSecrets } from './tls/compose-secrets';
export { readTopic } from './kafka/topic-reader';
