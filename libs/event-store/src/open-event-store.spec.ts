import { KurrentDbEventStore } from './kurrentdb/kurrentdb-event-store';
import { openEventStore } from './open-event-store';

const base = { schema: 'eventstore', listen: true, poolSize: 1 };

describe('openEventStore', () => {
  it('given a kurrentdb:// URL, when opened, then the KurrentDB adapter is used (no connection until the first call)', async () => {
    const store = await openEventStore({ ...base, url: 'kurrentdb://127.0.0.1:2113?tls=false' });
    expect(store).toBeInstanceOf(KurrentDbEventStore);
    await store.close();
  });

  it('given an unknown scheme, when opened, then the error names the variable and the schemes accepted', async () => {
    await expect(openEventStore({ ...base, url: 'mysql://x' })).rejects.toThrow(
      'EVENTSTORE_URL scheme "mysql" is not supported',
    );
  });
});
