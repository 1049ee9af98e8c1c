import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { canonicalJson } from '../audit-trail/tree/canonical-record';
import { appendLeaves, rootOfFrontier, type Hash } from '../audit-trail/tree/rfc9162';
import { hashLeaf } from '../audit-trail/tree/rfc9162.verify';
import { logIdOf, verifyTreeHead, type SignedTreeHead } from '../audit-trail/tree/tree-head';

const USAGE = `usage: npm run -s audit-verify -- --records export.jsonl --tree-head sth.json --public-key key.pem

Checks, with no server, that the exported records (ExportRecords, one canonical record a line) are
exactly the log a signed tree head commits to: the head's Ed25519 signature under the public key, each
line's canonical form and leaf index, and the RFC 9162 root of the first tree_size leaves.
--tree-head takes GetSignedTreeHead's or IssueTreeHead's JSON (grpcurl), the head alone, or what the
witness received. Exit 0: verified; 1: not; 2: usage.`;

/** Accepts the head as grpcurl prints it (camelCase, bytes in base64) or as the witness stores it. */
export function readTreeHead(json: unknown): SignedTreeHead {
  const outer = json as Record<string, unknown>;
  const h = (outer['treeHead'] ?? outer['tree_head'] ?? outer) as Record<string, unknown>;
  const pick = (...names: string[]) => names.map((n) => h[n]).find((v) => v !== undefined);
  const head = {
    logId: String(pick('logId', 'log_id') ?? ''),
    treeSize: Number(pick('treeSize', 'tree_size') ?? 0),
    timestampMs: Number(pick('timestampMs', 'timestamp_ms') ?? NaN),
    rootHash: Buffer.from(String(pick('rootHash', 'root_hash') ?? ''), 'base64'),
    signature: Buffer.from(String(pick('signature') ?? ''), 'base64'),
  };
  if (!head.logId || !Number.isSafeInteger(head.timestampMs) || head.rootHash.length !== 32)
    throw new Error('the tree head needs log id, timestamp, tree size and a 32-byte root hash');
  return head;
}

export interface OfflineVerdict {
  ok: boolean;
  treeSize: number;
  recordsRead: number;
  rootHash: string;
  problem?: string;
}

export async function verifyExport(
  records: string,
  head: SignedTreeHead,
  publicKeyPem: string,
): Promise<OfflineVerdict> {
  const verdict = (problem?: string, recordsRead = 0, root = ''): OfflineVerdict => ({
    ok: !problem,
    treeSize: head.treeSize,
    recordsRead,
    rootHash: root,
    ...(problem ? { problem } : {}),
  });
  if (!verifyTreeHead(head, publicKeyPem))
    return verdict('the tree head signature does not verify under the public key');
  let size = 0;
  let frontier: Hash[] = [];
  const lines = createInterface({ input: createReadStream(records, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    if (size === head.treeSize) break;
    if (line === '') continue;
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return verdict(`line ${size + 1} is not JSON`, size);
    }
    if (canonicalJson(record) !== line)
      return verdict(`record at leaf ${size} is not in canonical form`, size);
    if (record['leaf_index'] !== size)
      return verdict(
        `record at line ${size + 1} says leaf ${String(record['leaf_index'])}, expected leaf ${size}`,
        size,
      );
    if (logIdOf(String(record['tenant_id'])) !== head.logId)
      return verdict(
        `record at leaf ${size} (event ${String(record['event_id'])}) belongs to another log than ${head.logId}`,
        size,
      );
    ({ frontier, size } = appendLeaves(size, frontier, [hashLeaf(Buffer.from(line, 'utf8'))]));
  }
  lines.close();
  const root = rootOfFrontier(frontier);
  if (size < head.treeSize)
    return verdict(
      `the export has ${size} records, the tree head commits to ${head.treeSize}`,
      size,
      root.toString('hex'),
    );
  if (!root.equals(head.rootHash))
    return verdict(
      'the records do not hash to the signed root: at least one was changed, removed or inserted',
      size,
      root.toString('hex'),
    );
  return verdict(undefined, size, root.toString('hex'));
}

async function main(): Promise<number> {
  let values: { records?: string; 'tree-head'?: string; 'public-key'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        records: { type: 'string' },
        'tree-head': { type: 'string' },
        'public-key': { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help || !values.records || !values['tree-head'] || !values['public-key']) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  const head = readTreeHead(JSON.parse(readFileSync(values['tree-head'], 'utf8')));
  const verdict = await verifyExport(values.records, head, readFileSync(values['public-key'], 'utf8'));
  console.log(JSON.stringify(verdict));
  return verdict.ok ? 0 : 1;
}

if (require.main === module)
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error((error as Error).message);
      process.exit(1);
    },
  );
