import { CallerSessions } from './caller-sessions';

const at = (n: number) => ({ commit: BigInt(n), prepare: BigInt(n) });

describe('CallerSessions (read-your-writes per tenant and actor)', () => {
  it('given two writes of one caller finishing out of order, when it reads, then it waits for the later', () => {
    const sessions = new CallerSessions();
    sessions.wrote('t1', 'a', at(7));
    sessions.wrote('t1', 'a', at(5));
    expect(sessions.lastWrite('t1', 'a')).toEqual(at(7));
  });

  it('given a write by one actor, then another actor of the tenant, or another tenant, waits for nothing', () => {
    const sessions = new CallerSessions();
    sessions.wrote('t1', 'a', at(7));
    expect(sessions.lastWrite('t1', 'b')).toBeUndefined();
    expect(sessions.lastWrite('t2', 'a')).toBeUndefined();
  });

  it('keeps at most `capacity` callers, forgetting the least recently written first', () => {
    const sessions = new CallerSessions(2);
    sessions.wrote('t', 'a', at(1));
    sessions.wrote('t', 'b', at(2));
    sessions.wrote('t', 'a', at(3));
    sessions.wrote('t', 'c', at(4));
    expect(sessions.lastWrite('t', 'b')).toBeUndefined();
    expect(sessions.lastWrite('t', 'a')).toEqual(at(3));
    expect(sessions.lastWrite('t', 'c')).toEqual(at(4));
  });

  it('forgets a write older than its time to live', () => {
    let now = 0;
    const sessions = new CallerSessions(10, 1_000, () => now);
    sessions.wrote('t', 'a', at(1));
    now = 1_000;
    expect(sessions.lastWrite('t', 'a')).toEqual(at(1));
    now = 1_001;
    expect(sessions.lastWrite('t', 'a')).toBeUndefined();
  });
});
