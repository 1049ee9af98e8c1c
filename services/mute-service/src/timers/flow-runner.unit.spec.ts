import { emptyRuleSet, MemoryTagView, type TemporaryUnmute } from '@tagguard/mute-engine';
import type { StoreVisitAutomation } from '../automations/store-visit-automation';
import { AutomationView } from '../automations/automation-view';
import type { HoldStore } from '../holds/hold-store';
import { ActiveUnmutes } from '../unmute/active-unmutes';
import type { UnmuteStore } from '../unmute/unmute-store';
import { FlowRunner } from './flow-runner';
import type { Outbox } from './outbox';
import type { TimerStore } from './timer-store';

type Active = { tenantId: string; unmute: TemporaryUnmute }[];
type Snapshot = Awaited<ReturnType<StoreVisitAutomation['snapshot']>>;

/** A read the test answers when it chooses, in any order. */
function deferredReads<T>() {
  const pending: ((value: T) => void)[] = [];
  return {
    read: () => new Promise<T>((resolve) => pending.push(resolve)),
    answer: (read: number, value: T) => pending[read]!(value),
  };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

/** A runner whose two reads the test answers, over real memories. */
function world() {
  const unmutes = deferredReads<Active>();
  const snapshots = deferredReads<Snapshot>();
  const activeUnmutes = new ActiveUnmutes();
  const automationView = new AutomationView();
  const runner = new FlowRunner(
    {
      timers: {} as TimerStore,
      holds: {} as HoldStore,
      outbox: {} as Outbox,
      unmutes: { allActive: unmutes.read } as unknown as UnmuteStore,
      automation: { snapshot: snapshots.read } as unknown as StoreVisitAutomation,
      activeUnmutes,
      automationView,
    },
    { tickMs: 100, sweep: false },
  );
  return { unmutes, snapshots, activeUnmutes, automationView, runner };
}

describe('FlowRunner.refresh: overlapping refreshes (the tick and a controller after its write)', () => {
  const unmute: TemporaryUnmute = {
    unmuteId: 'u1',
    tagId: 'suppliers',
    actorId: 'a',
    startsAt: 0,
    endsAt: 10,
  };
  const muted: Snapshot = {
    settings: new Map([['t1', { enabled: true, waitMs: 1, muteMs: 10, effect: 'silent' as const }]]),
    mutes: new Map([['t1', [{ customerId: 'wm-1', from: 0, until: 10 }]]]),
  };
  const none: Snapshot = { settings: new Map(), mutes: new Map() };

  it('Given a tick whose reads started before a write and a refresh after it, When the older reads finish last, Then the newer answer stays', async () => {
    const { unmutes, snapshots, activeUnmutes, automationView, runner } = world();

    // The older call read an unmute and a mute that the write in between ended; the newer call's reads
    // finish first (reads are numbered in the order they are made).
    const stale = runner.refresh();
    const fresh = runner.refresh();
    unmutes.answer(1, []);
    await flush();
    snapshots.answer(0, none);
    await fresh;
    unmutes.answer(0, [{ tenantId: 't1', unmute }]);
    await flush();
    snapshots.answer(1, muted);
    await stale;

    expect(activeUnmutes.active('t1')).toEqual([]);
    const tags = new MemoryTagView();
    expect(automationView.apply('t1', 5, emptyRuleSet('t1'), tags).tags).toBe(tags);
  });

  it('Given one refresh, When its reads finish, Then both memories hold them', async () => {
    const { unmutes, snapshots, activeUnmutes, automationView, runner } = world();
    const done = runner.refresh();
    unmutes.answer(0, [{ tenantId: 't1', unmute }]);
    await flush();
    snapshots.answer(0, muted);
    await done;
    expect(activeUnmutes.active('t1')).toEqual([unmute]);
    const tags = new MemoryTagView();
    expect(automationView.apply('t1', 5, emptyRuleSet('t1'), tags).tags).not.toBe(tags);
  });
});
