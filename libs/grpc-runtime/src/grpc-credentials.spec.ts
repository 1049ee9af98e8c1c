import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGrpcTls } from './grpc-credentials';

const dir = mkdtempSync(join(tmpdir(), 'tagguard-tls-'));
const notPem = join(dir, 'not.pem');
writeFileSync(notPem, 'not a certificate');

describe('readGrpcTls', () => {
  it('given no TLS variables, serves plaintext', () => {
    expect(readGrpcTls({})).toBeUndefined();
  });

  it.each([
    [{ GRPC_TLS_CERT_FILE: notPem }, 'GRPC_TLS_KEY_FILE: is required when GRPC_TLS_CERT_FILE is set'],
    [{ GRPC_TLS_KEY_FILE: notPem }, 'GRPC_TLS_CERT_FILE: is required when GRPC_TLS_KEY_FILE is set'],
    [
      { GRPC_TLS_CLIENT_CA_FILE: notPem },
      'GRPC_TLS_CERT_FILE: is required when GRPC_TLS_CLIENT_CA_FILE is set',
    ],
    [
      { GRPC_TLS_CERT_FILE: join(dir, 'missing.pem'), GRPC_TLS_KEY_FILE: notPem },
      'GRPC_TLS_CERT_FILE: cannot be read',
    ],
    [{ GRPC_TLS_CERT_FILE: notPem, GRPC_TLS_KEY_FILE: notPem }, 'GRPC_TLS_KEY_FILE: does not match'],
  ])('given %j, start fails naming the variable', (env, message) => {
    expect(() => readGrpcTls(env)).toThrow(message);
  });
});
