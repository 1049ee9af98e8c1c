import type { EventStore } from './event-store.port';
import { KurrentDbEventStore } from './kurrentdb/kurrentdb-event-store';
import { PostgresEventStore } from './postgres/postgres-event-store';

export interface EventStoreConnection {
  /** `postgres://…` / `postgresql://…` (PostgreSQL adapter) or `kurrentdb://…` / `esdb://…` (KurrentDB). */
  url: string;
  /** PostgreSQL only: the schema holding the event tables. */
  schema: string;
  /** PostgreSQL only: LISTEN for append notifications (off behind a transaction-pooling proxy, which polls). */
  listen: boolean;
  /** PostgreSQL only. */
  poolSize: number;
}

/** The one place that picks the adapter: by the URL's scheme, so a deployment switches by configuration. */
export async function openEventStore(connection: EventStoreConnection): Promise<EventStore> {
  const scheme = connection.url.slice(0, connection.url.indexOf(':'));
  switch (scheme) {
    case 'postgres':
    case 'postgresql':
      return PostgresEventStore.connect({
        connectionString: connection.url,
        schema: connection.schema,
        listen: connection.listen,
        poolSize: connection.poolSize,
      });
    case 'kurrentdb':
    case 'kurrentdb+discover':
    case 'esdb':
    case 'esdb+discover':
      return new KurrentDbEventStore(connection.url);
    default:
      throw new Error(
        `EVENTSTORE_URL scheme "${scheme}" is not supported (postgres://, kurrentdb://, esdb://)`,
      );
  }
}
