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

// Each case asserts the message of the one check it proves, not just the rule id: the rule has several
// built-in checks (a relative import across projects, an import of an application) that fire on their
// own, so a ruleId-only assertion stayed green with the workspace's constraints removed.
const APP_IMPORT = 'Imports of apps are forbidden';
const onlyLibs = (sourceTag: string, tags: string) =>
  `A project tagged with "${sourceTag}" can only depend on libs tagged with ${tags}`;
const boundaryMessages = (messages: LintMessage[]) =>
  messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);

describe('module boundaries', () => {
  it('a service importing another service (by its alias) is refused as an application import', () => {
    const messages = lint(
      'services/tag-service/src/forbidden.ts',
      "import { startAuditService } from '@tagguard/audit-service';\nexport const s = startAuditService;\n",
    );
    expect(boundaryMessages(messages)).toEqual([APP_IMPORT]);
  });

  it('the embedded host may import a service (its allow list), which a service may not', () => {
    const code =
      "import { startAuditService } from '@tagguard/audit-service';\nexport const s = startAuditService;\n";
    expect(boundaryMessages(lint('deploy/embedded/src/allowed.ts', code))).toEqual([]);
    expect(boundaryMessages(lint('services/tag-service/src/forbidden.ts', code))).toEqual([APP_IMPORT]);
  });

  it('a service importing the local infrastructure tooling breaks the type:service constraint', () => {
    const messages = lint(
      'services/tag-service/src/forbidden.ts',
      "import { up } from '@tagguard/local-infra';\nexport const u = up;\n",
    );
    expect(boundaryMessages(messages)).toEqual([onlyLibs('type:service', '"type:lib"')]);
  });

  it('a library importing the local infrastructure tooling breaks the type:lib constraint', () => {
    const messages = lint(
      // A lib local-infra does not reach: from one it reaches, the import would close a cycle, which the
      // rule reports instead of the constraint.
      'libs/contracts/src/forbidden.ts',
      "import { up } from '@tagguard/local-infra';\nexport const u = up;\n",
    );
    expect(boundaryMessages(messages)).toEqual([onlyLibs('type:lib', '"type:lib"')]);
  });

  it('domain code importing Kafka, TypeORM or Nest is an error', () => {
    const messages = lint(
      'services/tag-service/src/tags/domain/tag.decider.ts',
      "import { Kafka } from 'kafkajs';\nimport { Injectable } from '@nestjs/common';\nexport const k = [Kafka, Injectable];\n",
    );
    expect(messages.filter((m) => m.ruleId === 'no-restricted-imports')).toHaveLength(2);
  });

  it("the WeCom sandbox is reachable from a service's tests and the embedded host, not from its code", () => {
    const code =
      "import { startWeComSandbox } from '@tagguard/wecom-sandbox';\nexport const s = startWeComSandbox;\n";
    const restricted = (messages: LintMessage[]) =>
      messages.filter((m) => m.ruleId === 'no-restricted-imports');
    expect(restricted(lint('services/sync-service/src/wecom/forbidden.ts', code))).toHaveLength(1);
    expect(lint('services/sync-service/src/wecom/allowed.int.spec.ts', code)).toEqual([]);
    expect(lint('deploy/embedded/src/allowed.ts', code)).toEqual([]);
  });

  it('a service importing a library is allowed', () => {
    const messages = lint(
      'services/tag-service/src/allowed.ts',
      "import { createLogger } from '@tagguard/logging';\nexport const c = createLogger;\n",
    );
    expect(messages).toEqual([]);
  });
});
