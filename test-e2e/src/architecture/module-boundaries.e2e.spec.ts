import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

// The lint rules that keep services apart and domain code pure, proven to bite: each forbidden import
// below must be reported by ESLint with the workspace's own config and Nx project graph.
const workspaceRoot = join(__dirname, '..', '..', '..');

interface LintMessage {
  ruleId: string | null;
  message: string;
}

function lint(filePath: string, code: string): LintMessage[] {
  const result = spawnSync(
    process.execPath,
    [
      join(workspaceRoot, 'node_modules', '.bin', 'eslint'),
      '--stdin',
      '--stdin-filename',
      filePath,
      '--format',
      'json',
    ],
    { cwd: workspaceRoot, input: code, encoding: 'utf8' },
  );
  if (!result.stdout) throw new Error(`eslint produced no report: ${result.stderr}`);
  const [report] = JSON.parse(result.stdout) as { messages: LintMessage[] }[];
  return report!.messages;
}

beforeAll(() => {
  // The boundary rule is silently skipped without a cached project graph; build it as `nx` would.
  const graph = spawnSync(
    process.execPath,
    [join(workspaceRoot, 'node_modules', '.bin', 'nx'), 'show', 'projects'],
    {
      cwd: workspaceRoot,
      encoding: 'utf8',
      env: { ...process.env, NX_DAEMON: 'false' },
    },
  );
  expect(graph.status).toBe(0);
});

describe('module boundaries', () => {
  it('a service importing another service is an error', () => {
    const messages = lint(
      'services/tag-service/src/forbidden.ts',
      "import { AuditServiceModule } from '../../audit-service/src/audit-service.module';\nexport const m = AuditServiceModule;\n",
    );
    expect(messages.map((m) => m.ruleId)).toContain('@nx/enforce-module-boundaries');
  });

  it('a library importing the local infrastructure tooling is an error', () => {
    const messages = lint(
      'libs/logging/src/forbidden.ts',
      "import { up } from '@tagguard/local-infra';\nexport const u = up;\n",
    );
    expect(messages).toEqual(
      expect.arrayContaining([expect.objectContaining({ ruleId: '@nx/enforce-module-boundaries' })]),
    );
  });

  it('domain code importing Kafka, TypeORM or Nest is an error', () => {
    const messages = lint(
      'services/tag-service/src/tags/domain/tag.decider.ts',
      "import { Kafka } from 'kafkajs';\nimport { Injectable } from '@nestjs/common';\nexport const k = [Kafka, Injectable];\n",
    );
    expect(messages.filter((m) => m.ruleId === 'no-restricted-imports')).toHaveLength(2);
  });

  it('a service importing a library is allowed', () => {
    const messages = lint(
      'services/tag-service/src/allowed.ts',
      "import { createLogger } from '@tagguard/logging';\nexport const c = createLogger;\n",
    );
    expect(messages).toEqual([]);
  });
});
