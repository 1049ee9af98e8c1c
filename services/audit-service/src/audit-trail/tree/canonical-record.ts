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
  /** The actor's department (D102); absent when the directory copy did not know it. */
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

/**
 * RFC 8785 JSON Canonicalization Scheme for the JSON values an event carries. Written as plain loops and
 * string appends: it runs once per record on the ingest path. `sort()` without a comparator orders by
 * UTF-16 code units, as JCS asks.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('JSON has no NaN or Infinity');
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + canonicalJson(value[i]);
        return `${out}]`;
      }
      const object = value as Record<string, unknown>;
      let out = '{';
      let first = true;
      for (const key of Object.keys(object).sort()) {
        const v = object[key];
        if (v === undefined) continue;
        out += `${first ? '' : ','}${JSON.stringify(key)}:${canonicalJson(v)}`;
        first = false;
      }
      return `${out}}`;
    }
    default:
      throw new TypeError(`not a JSON value: ${typeof value}`);
  }
}
