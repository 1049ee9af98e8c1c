import { demoDirectory } from './demo-directory';
import { generateDirectory } from './generate-directory';
import { startWeComSandbox } from './wecom-sandbox.server';

// Standalone: WECOM_SANDBOX_PORT (default 50070), one corp WECOM_CORP_ID / WECOM_SECRET (Exmail under
// /exmail with EXMAIL_SECRET), seeded with the
// demo directory or, with WECOM_SANDBOX_EMPLOYEES, a generated one; callbacks to WECOM_SANDBOX_CALLBACK_URL
// with WECOM_CALLBACK_TOKEN / WECOM_CALLBACK_AES_KEY when all three are set.
async function main(): Promise<void> {
  const env = process.env;
  const corpId = env['WECOM_CORP_ID'] ?? 'wwsandbox0000001';
  const callbackUrl = env['WECOM_SANDBOX_CALLBACK_URL'];
  const token = env['WECOM_CALLBACK_TOKEN'];
  const encodingAesKey = env['WECOM_CALLBACK_AES_KEY'];
  const sandbox = await startWeComSandbox({
    host: env['WECOM_SANDBOX_HOST'] ?? '127.0.0.1',
    port: Number(env['WECOM_SANDBOX_PORT'] ?? 50070),
    corps: [
      {
        corpId,
        secret: env['WECOM_SECRET'] ?? 'sandbox-secret',
        exmailSecret: env['EXMAIL_SECRET'] ?? 'sandbox-exmail-secret',
        ...(callbackUrl && token && encodingAesKey
          ? { callback: { url: callbackUrl, token, encodingAesKey } }
          : {}),
      },
    ],
  });
  const employees = Number(env['WECOM_SANDBOX_EMPLOYEES'] ?? 0);
  sandbox
    .admin(corpId)
    .seed(
      employees
        ? generateDirectory({ seed: 1, employees, departments: Math.max(1, Math.round(employees / 20)) })
        : demoDirectory(),
    );
  console.error(
    `[wecom-sandbox] ${sandbox.url} (corp ${corpId}); admin under ${sandbox.url}/sandbox/corps/${corpId}/…`,
  );
  const stop = () => void sandbox.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
