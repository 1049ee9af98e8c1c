export { ConfigError, readEnv, type EnvReader } from './env';
