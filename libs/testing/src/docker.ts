import { spawnSync } from 'node:child_process';

/**
 * True only when a Docker engine answers, not merely when the client is installed
 * (these machines ship the docker CLI with no engine behind it).
 */
export function dockerEngineAvailable(): boolean {
  const result = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  return result.status === 0 && result.stdout.trim().length > 0;
}
