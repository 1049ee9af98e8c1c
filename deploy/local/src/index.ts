export { down, readState, status, up, type InfraState, type InfraStatus } from './infra';
export { workspaceRoot } from './paths';
