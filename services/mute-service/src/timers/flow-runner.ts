import type { MessagePublisher } from '@tagguard/messaging';
import type { ComponentHandle } from '@tagguard/telemetry';
import type { AutomationView } from '../automations/automation-view';
import type { StoreVisitAutomation } from '../automations/store-visit-automation';
import type { HoldStore } from '../holds/hold-store';
import type { ActiveUnmutes } from '../unmute/active-unmutes';
import { UNMUTE_END_TIMER, type UnmuteStore } from '../unmute/unmute-store';
import type { Outbox } from './outbox';
import type { TimerStore } from './timer-store';
import { serviceLogger } from '../service-logger';

const CATCH_UP_MS = 1_000;

const unmuteFeedBehind = (): Promise<void> =>
  Promise.reject(new Error('the unmute feed is behind the event store: the report would miss decisions'));

export type FlowRunnerOptions = {
  tickMs: number;
  /** false: holds are released only by HoldService.ReleaseDue (a test knob, MUTE_RELEASE_SWEEP=off). */
  sweep: boolean;
};

/**
 * The flow features' one loop, on every instance (each step is safe concurrently: timers and holds are claimed
 * under row or recipient locks, the outbox has one publisher at a time): fire due timers, release due holds,
 * publish the outbox, refresh the decision path's memory of unmutes and automation mutes.
 */
export class FlowRunner {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  /** refresh(): calls made, and the call each memory was last replaced from. */
  private refreshCalls = 0;
  private unmutesFrom = 0;
  private automationFrom = 0;
  private readonly log = serviceLogger('MuteFlow');

  constructor(
    private readonly deps: {
      timers: TimerStore;
      holds: HoldStore;
      unmutes: UnmuteStore;
      automation: StoreVisitAutomation;
      outbox: Outbox;
      activeUnmutes: ActiveUnmutes;
      automationView: AutomationView;
      publisher?: MessagePublisher;
      component?: ComponentHandle;
    },
    private readonly options: FlowRunnerOptions,
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    await this.refresh();
    this.deps.component?.set('running');
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => this.schedule());
    }, this.options.tickMs);
    this.timer.unref();
  }

  /**
   * Called by the tick and by the controllers after a write (read-your-write), so calls overlap: a call's
   * reads start after every earlier call's, so they see at least as much, and an older call finishing
   * last must not put back what a newer one replaced.
   */
  async refresh(): Promise<void> {
    const call = ++this.refreshCalls;
    const active = await this.deps.unmutes.allActive();
    if (call > this.unmutesFrom) {
      this.unmutesFrom = call;
      this.deps.activeUnmutes.replace(active);
    }
    const { settings, mutes } = await this.deps.automation.snapshot();
    if (call > this.automationFrom) {
      this.automationFrom = call;
      this.deps.automationView.replace(settings, mutes);
    }
  }

  async tick(now = Date.now()): Promise<void> {
    try {
      // An unmute ending now reports the decisions stored before this tick (its handler cannot wait, D110);
      // with the feed behind, its end waits (the timer backs off and fires again) rather than freeze a report
      // without the late lines. The unmute stops letting messages through at its planned end regardless.
      const caughtUp = await this.deps.unmutes.feed.catchUp(CATCH_UP_MS);
      const handlers = {
        [UNMUTE_END_TIMER]: caughtUp ? this.deps.unmutes.onTimer : unmuteFeedBehind,
        ...this.deps.automation.timerHandlers,
      };
      const fired = await this.deps.timers.fireDue(now, handlers);
      if (fired.failed > 0) this.log.warn(`${fired.failed} timer(s) failed; retried with backoff`);
      if (this.options.sweep) await this.deps.holds.releaseDue(now);
      if (this.deps.publisher) while ((await this.deps.outbox.publishBatch(this.deps.publisher)) > 0);
      await this.refresh();
      this.deps.component?.set('running');
    } catch (error) {
      this.deps.component?.retrying(error, 1, this.options.tickMs);
      this.log.warn(`flow tick failed: ${String((error as Error).message ?? error)}`);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.deps.publisher?.close();
    this.deps.component?.set('stopped');
  }
}
