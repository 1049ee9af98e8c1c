/**
 * The bytes of an audit record as a leaf of the tenant's Merkle tree (decision D65): the RFC 8785 (JCS)
 * canonical JSON of the record object below, UTF-8. ExportRecords writes exactly these bytes, one record
 * a line, so an offline verifier hashes each line as it is: leaf hash = SHA-256(0x00 || line).
 *
 *   { "actor_department_id" (only when known), "actor_id", "correlation_id", "data" (the event's data, as JSON), "event_id", "event_type",
 *     "leaf_index" (number), "occurred_at", "recorded_at" (RFC 3339 UTC with milliseconds),
 *     "subject_id", "tenant_id", "v": 1 }
 *
 * JCS: object keys sorted by UTF-16 code units, no whitespace, strings and numbers as ECMAScript's
 * JSON.stringify writes them.
 */
export interface CanonicalRecord {
  v: 1;
  leaf_index: number;
  tenant_id: string;
  event_id: string;
  event_type: string;
  actor_id: string;
  /** The actor's department (D-D1); absent when the directory copy did not know it. */
  actor_department_id?: string;
  subject_id: string;
  correlation_id: string;
  occurred_at: string;
  recorded_at: string;
  data: unknown;
}

export function canonicalRecordBytes(record: CanonicalRecord): Buffer {
  return Buffer.from(canonicalJson(record), 'utf8');
}

/** RFC 8785 JSON Canonicalization Scheme for the JSON values an event carries. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('JSON has no NaN or Infinity');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw new TypeError(`not a JSON value: ${typeof value}`);
}
