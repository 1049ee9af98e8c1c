import { demoDirectory, startWeComSandbox, type WeComSandbox } from '@tagguard/wecom-sandbox';

// The embedded demo's WeCom: the sandbox on loopback, seeded with a small directory, and sync-service's
// connector pointed at it by configuration alone (the same WECOM_* variables as for the real API).
// On unless TAGGUARD_WECOM_DEMO=false, or when the operator configured a real corp (WECOM_CORP_ID).
const DEMO = {
  corpId: 'wwtagguarddemo001',
  secret: 'demo-secret',
  exmailSecret: 'demo-exmail-secret',
  token: 'tagguardDemoToken',
  encodingAesKey: 'TagGuardDemoEncodingAesKey0123456789abcdefg',
  tenantId: 'tenant-a',
};
// Beside the five gRPC ports (base + 0..4): the callback receiver at base + 14, the sandbox at base + 19.
const CALLBACK_OFFSET = 14;
const SANDBOX_OFFSET = 19;

export async function startWeComDemo(
  env: Record<string, string | undefined>,
  host: string,
  basePort: number,
): Promise<{ sandbox: WeComSandbox; adminUrl: string; syncServiceEnv: Record<string, string> } | undefined> {
  if ((env['TAGGUARD_WECOM_DEMO'] ?? 'true') === 'false' || env['WECOM_CORP_ID']) return undefined;
  const callbackUrl = `http://${host}:${basePort + CALLBACK_OFFSET}/wecom/callback`;
  const sandbox = await startWeComSandbox({
    host,
    port: basePort + SANDBOX_OFFSET,
    corps: [
      {
        corpId: DEMO.corpId,
        secret: DEMO.secret,
        exmailSecret: DEMO.exmailSecret,
        callback: { url: callbackUrl, token: DEMO.token, encodingAesKey: DEMO.encodingAesKey },
      },
    ],
  });
  sandbox.admin(DEMO.corpId).seed(demoDirectory());
  // The sandbox also serves Exmail's API (/exmail): the "exmail" downstream connector, for the same tenant.
  const emptyGroups = sandbox.admin(DEMO.corpId).exmail.addDepartment('TagGuard 空群组');
  const exmail: Record<string, string> = env['EXMAIL_BASE_URL']
    ? {}
    : {
        EXMAIL_TENANT_ID: env['TAGGUARD_WECOM_DEMO_TENANT'] ?? DEMO.tenantId,
        EXMAIL_BASE_URL: `${sandbox.url}/exmail`,
        EXMAIL_CORP_ID: DEMO.corpId,
        EXMAIL_SECRET: DEMO.exmailSecret,
        EXMAIL_EMPTY_GROUP_DEPARTMENT_ID: String(emptyGroups.id),
      };
  return {
    sandbox,
    adminUrl: `${sandbox.url}/sandbox/corps/${DEMO.corpId}/`,
    syncServiceEnv: {
      WECOM_TENANT_ID: env['TAGGUARD_WECOM_DEMO_TENANT'] ?? DEMO.tenantId,
      WECOM_CORP_ID: DEMO.corpId,
      WECOM_SECRET: DEMO.secret,
      WECOM_BASE_URL: sandbox.url,
      WECOM_AGENT_ID: '1000002',
      WECOM_CALLBACK_TOKEN: DEMO.token,
      WECOM_CALLBACK_AES_KEY: DEMO.encodingAesKey,
      WECOM_CALLBACK_HOST: host,
      WECOM_CALLBACK_PORT: String(basePort + CALLBACK_OFFSET),
      // audit-service sends WeCom application messages (notification channels) to the same sandbox.
      AUDIT_WECOM_API_URL: sandbox.url,
      ...exmail,
    },
  };
}
