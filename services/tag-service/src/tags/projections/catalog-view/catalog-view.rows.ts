import { quoteIdent } from '@tagguard/event-store';
import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';

interface Table {
  name: string;
  /** Property, column name (as in JSON and result rows), column quoted for SQL. */
  columns: { property: string; column: string; sql: string }[];
  keys: string[];
}

/**
 * Set-based reads and writes of read-model rows inside one transaction: each call is one statement for
 * any number of rows, the rows passed as one JSON parameter and unpacked by PostgreSQL
 * (json_populate_recordset over the table's own row type, so every column keeps its type).
 */
export class RowStatements {
  private readonly tables = new Map<EntityTarget<ObjectLiteral>, Table>();

  constructor(private readonly tx: EntityManager) {}

  /** The rows whose primary keys are given (keys by property name); missing ones are simply absent. */
  async load<T extends ObjectLiteral>(entity: EntityTarget<T>, keys: Partial<T>[]): Promise<T[]> {
    if (keys.length === 0) return [];
    const t = this.table(entity);
    const rows = (await this.tx.query(
      `SELECT t.* FROM ${t.name} t JOIN json_populate_recordset(null::${t.name}, $1::json) k ON ${this.match(t)}`,
      [this.json(t, keys)],
    )) as Record<string, unknown>[];
    return rows.map((r) => Object.fromEntries(t.columns.map((c) => [c.property, r[c.column]])) as T);
  }

  /** Inserts the rows, or overwrites every column of those that exist. */
  async upsert<T extends ObjectLiteral>(entity: EntityTarget<T>, rows: T[]): Promise<void> {
    const t = this.table(entity);
    const set = t.columns.filter((c) => !t.keys.includes(c.sql)).map((c) => `${c.sql} = EXCLUDED.${c.sql}`);
    await this.insert(
      entity,
      rows,
      `ON CONFLICT (${t.keys.join(', ')}) ${set.length ? `DO UPDATE SET ${set.join(', ')}` : 'DO NOTHING'}`,
    );
  }

  /** Inserts rows known to be absent (cheaper than an upsert: no conflict check per row). */
  async insert<T extends ObjectLiteral>(entity: EntityTarget<T>, rows: T[], onConflict = ''): Promise<void> {
    if (rows.length === 0) return;
    const t = this.table(entity);
    const columns = t.columns.map((c) => c.sql).join(', ');
    await this.tx.query(
      `INSERT INTO ${t.name} (${columns})
       SELECT ${columns} FROM json_populate_recordset(null::${t.name}, $1::json) ${onConflict}`,
      [this.json(t, rows)],
    );
  }

  async delete<T extends ObjectLiteral>(entity: EntityTarget<T>, keys: Partial<T>[]): Promise<void> {
    if (keys.length === 0) return;
    const t = this.table(entity);
    await this.tx.query(
      `DELETE FROM ${t.name} t USING json_populate_recordset(null::${t.name}, $1::json) k WHERE ${this.match(t)}`,
      [this.json(t, keys)],
    );
  }

  private match(t: Table): string {
    return t.keys.map((k) => `t.${k} = k.${k}`).join(' AND ');
  }

  private json(t: Table, rows: ObjectLiteral[]): string {
    return JSON.stringify(
      rows.map((row) => {
        const out: Record<string, unknown> = {};
        for (const c of t.columns) if (c.property in row) out[c.column] = row[c.property];
        return out;
      }),
    );
  }

  private table(entity: EntityTarget<ObjectLiteral>): Table {
    let t = this.tables.get(entity);
    if (!t) {
      const meta = this.tx.connection.getMetadata(entity);
      t = {
        name: `${quoteIdent(meta.schema!)}.${quoteIdent(meta.tableName)}`,
        columns: meta.columns.map((c) => ({
          property: c.propertyName,
          column: c.databaseName,
          sql: quoteIdent(c.databaseName),
        })),
        keys: meta.primaryColumns.map((c) => quoteIdent(c.databaseName)),
      };
      this.tables.set(entity, t);
    }
    return t;
  }
}
