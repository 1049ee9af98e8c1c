import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DirectoryChangeSignal } from '../directory/sources/directory-source.port';
import { refsOfEvent, xmlFields } from './domain/wecom-callback-event';
import { CallbackRejected, openCallback, type CallbackKeys } from './wecom-callback.crypto';
import { CallbackReplayGuard } from './wecom-callback.replay-guard';

export type CallbackReceiverOptions = {
  tenantId: string;
  keys: CallbackKeys;
  host: string;
  port: number;
  path: string;
  onSignal: (signal: DirectoryChangeSignal) => void;
  onRejected?: (reason: string, remote: string | undefined) => void;
  /** A verified callback already handled: answered 200 (WeCom may resend), not signalled again. */
  onReplay?: (remote: string | undefined) => void;
  /** Accepted distance between a callback's timestamp and now; 300 s unless given. */
  windowSeconds?: number;
};

export type RunningCallbackReceiver = { url: string; close(): Promise<void> };

const MAX_BODY = 64 * 1024;

/**
 * WeCom's callback URL: GET verifies the URL (answer the decrypted echostr), POST carries an encrypted
 * event. Both are signature-checked first; a request that fails any check is 403 and changes nothing.
 * A verified event is answered at once (WeCom waits 5 s, then retries) and handed on as a signal, once:
 * a timestamp outside the window is 403, a copy of a callback already handled is 200 and no signal.
 */
export async function startCallbackReceiver(
  options: CallbackReceiverOptions,
): Promise<RunningCallbackReceiver> {
  const guard = new CallbackReplayGuard(options.windowSeconds);
  const server: Server = createServer((req, res) => {
    handle(options, guard, req, res).catch(() => {
      if (!res.headersSent) reply(res, 500, '');
    });
  });
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}${options.path}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(
  options: CallbackReceiverOptions,
  guard: CallbackReplayGuard,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://receiver');
  if (url.pathname !== options.path) return reply(res, 404, '');
  const query = {
    msgSignature: url.searchParams.get('msg_signature') ?? '',
    timestamp: url.searchParams.get('timestamp') ?? '',
    nonce: url.searchParams.get('nonce') ?? '',
  };
  const reject = (reason: string) => {
    options.onRejected?.(reason, req.socket.remoteAddress);
    reply(res, 403, '');
  };
  try {
    if (req.method === 'GET') {
      const echostr = url.searchParams.get('echostr') ?? '';
      return reply(res, 200, openCallback(options.keys, query, echostr));
    }
    if (req.method !== 'POST') return reply(res, 405, '');
    const body = await readBody(req);
    if (body === undefined) return reply(res, 413, '');
    const ciphertext = xmlFields(body)['Encrypt'];
    if (!ciphertext) throw new CallbackRejected('envelope');
    const fields = xmlFields(openCallback(options.keys, query, ciphertext));
    // Only after the signature held, so nobody but WeCom can fill the memory.
    const admission = guard.admit(query.timestamp, query.msgSignature);
    if (admission === 'stale') throw new CallbackRejected('timestamp');
    reply(res, 200, '');
    if (admission === 'replay') return options.onReplay?.(req.socket.remoteAddress);
    const refs = refsOfEvent(fields);
    if (refs.length) options.onSignal({ tenantId: options.tenantId, refs, receivedAt: new Date() });
  } catch (error) {
    if (error instanceof CallbackRejected) return reject(error.reason);
    throw error;
  }
}

function reply(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        resolve(undefined);
        req.resume();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
