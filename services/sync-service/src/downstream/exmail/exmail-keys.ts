import type { Pool } from 'pg';

/** `account` and `group`: a downstream id by TagGuard key; `name`: what a downstream object was named for. */
export type KeyKind = 'account' | 'group' | 'name';

/**
 * What Exmail cannot hold for TagGuard (D53): a mail group has no free field for the tag id and Exmail
 * lists no mail groups, so the connector keeps tag id → group address here, and employee id → mailbox
 * address so that setAccountActive needs no scan. One namespace per Exmail corp.
 */
export interface ExmailKeyStore {
  get(kind: KeyKind, key: string): Promise<string | undefined>;
  put(kind: KeyKind, key: string, address: string): Promise<void>;
  delete(kind: KeyKind, key: string): Promise<void>;
  /** The entries of a kind, by key; with `prefix`, only the keys that start with it. */
  list(kind: KeyKind, prefix?: string): Promise<{ key: string; address: string }[]>;
}

/** The key store in sync-service's PostgreSQL schema (one small table, created when absent). */
export class PostgresExmailKeyStore implements ExmailKeyStore {
  private ready: Promise<void> | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly namespace: string,
    private readonly table = 'exmail_keys',
  ) {}

  private init(): Promise<void> {
    if (this.ready) return this.ready;
    // The name of the table without its schema (an index takes its table's schema), for the prefix index.
    const bare = this.table.slice(this.table.lastIndexOf('.') + 1).replace(/"/g, '');
    this.ready = this.pool
      .query(
        `CREATE TABLE IF NOT EXISTS ${this.table} (namespace text NOT NULL, kind text NOT NULL, key text NOT NULL,
           address text NOT NULL, PRIMARY KEY (namespace, kind, key))`,
      )
      // starts_with uses an index only in C order; the key's own index is in the database's collation,
      // not C on a default install (en_US.UTF-8): there a prefix read was a scan of the namespace.
      .then(() =>
        this.pool.query(
          `CREATE INDEX IF NOT EXISTS "${bare}_prefix" ON ${this.table} (namespace, kind, key COLLATE "C")`,
        ),
      )
      .then(() => undefined)
      .catch((error: unknown) => {
        // Tried again on the next call: a failed first start (two instances racing to create) is not forever.
        this.ready = undefined;
        throw error;
      });
    return this.ready;
  }

  async get(kind: KeyKind, key: string): Promise<string | undefined> {
    await this.init();
    const { rows } = await this.pool.query<{ address: string }>(
      `SELECT address FROM ${this.table} WHERE namespace = $1 AND kind = $2 AND key = $3`,
      [this.namespace, kind, key],
    );
    return rows[0]?.address;
  }

  async put(kind: KeyKind, key: string, address: string): Promise<void> {
    await this.init();
    await this.pool.query(
      `INSERT INTO ${this.table} (namespace, kind, key, address) VALUES ($1, $2, $3, $4)
       ON CONFLICT (namespace, kind, key) DO UPDATE SET address = EXCLUDED.address`,
      [this.namespace, kind, key, address],
    );
  }

  async delete(kind: KeyKind, key: string): Promise<void> {
    await this.init();
    await this.pool.query(`DELETE FROM ${this.table} WHERE namespace = $1 AND kind = $2 AND key = $3`, [
      this.namespace,
      kind,
      key,
    ]);
  }

  async list(kind: KeyKind, prefix = ''): Promise<{ key: string; address: string }[]> {
    await this.init();
    // starts_with, not a range on key: right under any collation (a C-ordered key index can still serve it).
    const { rows } = await this.pool.query<{ key: string; address: string }>(
      `SELECT key, address FROM ${this.table} WHERE namespace = $1 AND kind = $2 AND starts_with(key, $3)
       ORDER BY key`,
      [this.namespace, kind, prefix],
    );
    return rows;
  }
}
