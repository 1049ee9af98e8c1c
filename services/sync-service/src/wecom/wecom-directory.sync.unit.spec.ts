import type { DirectoryObjectRef, DirectoryObjectState } from '../directory/domain/directory.model';
import type { DirectorySource } from '../directory/sources/directory-source.port';
import { RecordingIngest } from './testing/recording-ingest';
import { WeComDirectorySync } from './wecom-directory.sync';

const quiet = { info: () => undefined, warn: () => undefined };
const employee = (employeeId: string): DirectoryObjectRef => ({ kind: 'employee', employeeId });

/** Answers every re-read at once (a microtask), so a test can place a signal at any microtask after it. */
const instantSource: DirectorySource = {
  pullAll: () => Promise.reject(new Error('no pulls here')),
  read: async (_tenantId, ref) => ({ ...ref, value: 'absent' }) as DirectoryObjectState,
};
const afterMicrotasks = (hops: number, run: () => void) => {
  if (hops === 0) run();
  else queueMicrotask(() => afterMicrotasks(hops - 1, run));
};

describe('WeComDirectorySync signal queue', () => {
  // The drain loop ends, then its promise settles: a signal queued between the two must still be drained
  // by itself, not left until some later signal. Every microtask position after the last apply is tried.
  it.each(Array.from({ length: 12 }, (_, hops) => hops))(
    'Given a signal queued %i microtasks after the last apply, Then it is applied without another signal',
    async (hops) => {
      const ingest = new RecordingIngest();
      const sync = new WeComDirectorySync(instantSource, ingest, quiet);
      const apply = ingest.applyObject.bind(ingest);
      ingest.applyObject = async (tenantId, state, meta) => {
        const answer = await apply(tenantId, state, meta);
        if (state.kind === 'employee' && state.employeeId === 'first')
          afterMicrotasks(
            hops,
            () => void sync.signal({ tenantId, refs: [employee('late')], receivedAt: new Date() }),
          );
        return answer;
      };
      await sync.signal({ tenantId: 't', refs: [employee('first')], receivedAt: new Date() });
      await new Promise((resolve) => setImmediate(resolve));
      expect(sync.outcomes.map((o) => (o.ref.kind === 'employee' ? o.ref.employeeId : ''))).toEqual([
        'first',
        'late',
      ]);
      await sync.idle();
    },
  );
});
