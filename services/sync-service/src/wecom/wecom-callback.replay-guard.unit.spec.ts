import { CallbackReplayGuard } from './wecom-callback.replay-guard';

const T0 = 1_800_000_000; // seconds
const at = (seconds: number) => () => seconds * 1000;

describe('CallbackReplayGuard', () => {
  it('Given a callback seen once, When the same signature comes again, Then it is a replay; another is fresh', () => {
    const guard = new CallbackReplayGuard(300, 100, at(T0));
    expect(guard.admit(String(T0), 'sig-a')).toBe('fresh');
    expect(guard.admit(String(T0), 'sig-a')).toBe('replay');
    expect(guard.admit(String(T0), 'sig-b')).toBe('fresh');
  });

  it('Given a 300 s window, When the timestamp is 301 s off either way or not a number, Then it is stale', () => {
    const guard = new CallbackReplayGuard(300, 100, at(T0));
    expect(guard.admit(String(T0 - 300), 'edge-old')).toBe('fresh');
    expect(guard.admit(String(T0 + 300), 'edge-new')).toBe('fresh');
    expect(guard.admit(String(T0 - 301), 'old')).toBe('stale');
    expect(guard.admit(String(T0 + 301), 'new')).toBe('stale');
    expect(guard.admit('', 'none')).toBe('stale');
    expect(guard.admit('12abc', 'junk')).toBe('stale');
  });

  it('Given a full memory, When another callback comes, Then the oldest is forgotten first', () => {
    const guard = new CallbackReplayGuard(300, 2, at(T0));
    guard.admit(String(T0), 'one');
    guard.admit(String(T0), 'two');
    guard.admit(String(T0), 'three');
    expect(guard.admit(String(T0), 'three')).toBe('replay');
    expect(guard.admit(String(T0), 'two')).toBe('replay');
    expect(guard.admit(String(T0), 'one')).toBe('fresh');
  });

  it('Given an entry whose timestamp left the window, When time moved on, Then it is dropped (and its replay is stale)', () => {
    let now = T0;
    const guard = new CallbackReplayGuard(300, 2, () => now * 1000);
    guard.admit(String(T0), 'early');
    now = T0 + 301;
    expect(guard.admit(String(now), 'later')).toBe('fresh');
    expect(guard.admit(String(now), 'later2')).toBe('fresh');
    expect(guard.admit(String(now), 'later')).toBe('replay'); // 'early' went, not 'later'
    expect(guard.admit(String(T0), 'early')).toBe('stale');
  });
});
