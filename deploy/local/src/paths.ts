import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export const workspaceRoot = resolve(__dirname, '../../..');

/** Pid files, logs, state.json and (when allowed) data: project-local, gitignored. */
export const stateDir = process.env['TAGGUARD_STATE_DIR'] ?? join(workspaceRoot, '.tagguard', 'infra');

/** Downloaded artefacts shared by every clone on the machine (the Kafka classpath, Node 24). */
export const cacheDir = process.env['TAGGUARD_CACHE_DIR'] ?? join(homedir(), '.cache', 'tagguard');

/** A short stable id of this state dir, so two clones (or two state dirs) never share a cluster. */
export const stateId = createHash('sha256').update(stateDir).digest('hex').slice(0, 10);
