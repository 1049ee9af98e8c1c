export { down, readState, status, up, type InfraState, type InfraStatus } from './infra';
export { workspaceRoot } from './paths';
export { restartSlapd, startSlapd, stopSlapd, type SlapdEndpoint } from './slapd';
