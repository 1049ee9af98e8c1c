export { startPgliteServer, type PgliteServer, type PgliteServerOptions } from './pglite-server';
