export { hydrateSymlinks, postgresBinDir, postgresMajorVersion } from './binaries';
export { serverOsUser, type OsUser } from './os-user';
export {
  startPostgresServer,
  stopPostgresServer,
  type PostgresServer,
  type PostgresServerOptions,
} from './postgres-server';
