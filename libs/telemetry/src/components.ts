import { metrics, type Attributes } from '@opentelemetry/api';

/** What a background component of a service is: each has one health entry and one line in ListComponents. */
export type ComponentKind = 'projection' | 'relay' | 'process' | 'timer' | 'consumer';

/**
 * `running` and `standby` are healthy (SERVING); `starting`, `retrying` (an error is being retried with
 * backoff), `failed` (it gave up: a person must look) and `stopped` are not.
 */
export type ComponentState = 'starting' | 'running' | 'standby' | 'retrying' | 'failed' | 'stopped';

/** `leader`: holds the service's lease and does the work; `standby`: waits to take over; `single`: no lease. */
export type ComponentRole = 'single' | 'leader' | 'standby';

export interface ComponentLag {
  /** Events (or messages) stored after the component's checkpoint. */
  events: number;
  /** Age of the oldest event it has not handled yet; 0 when caught up. */
  seconds: number;
}

export interface ComponentStatus {
  name: string;
  kind: ComponentKind;
  state: ComponentState;
  role: ComponentRole;
  since: Date;
  lastError?: string;
  /** Attempts that failed and were retried, since start. */
  retries: number;
  /** Events given up on and parked, since start (the parked rows themselves are durable). */
  parked: number;
}

/** One event or message a component gave up on, as an operator reads it. */
export interface ParkedEntry {
  eventId: string;
  /** e.g. "NodeCreated on catalog-t1@4 at 123/4". */
  what: string;
  reason: string;
  attempts: number;
  parkedAt: Date;
}

export interface ComponentSpec {
  name: string;
  kind: ComponentKind;
  /** How far behind the head it is, where it can tell; undefined while unknown (e.g. standby). */
  lag?(): Promise<ComponentLag | undefined>;
  /** The most recent parked events, where the component parks durably. */
  parkedEvents?(limit: number): Promise<ParkedEntry[]>;
}

/** What a component reports through; every report is one log line at its level. */
export interface ComponentHandle {
  readonly name: string;
  status(): ComponentStatus;
  set(state: ComponentState, error?: unknown): void;
  setRole(role: ComponentRole): void;
  retrying(error: unknown, attempt: number, delayMs: number): void;
  parked(what: string, reason: string): void;
}

/** The part of a pino logger the registry writes to. */
export interface ComponentLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

const HEALTHY: ReadonlySet<ComponentState> = new Set(['running', 'standby']);

export function isHealthy(state: ComponentState): boolean {
  return HEALTHY.has(state);
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The service's background components (projections, relays, processes, timers, consumers): their state
 * feeds grpc.health.v1 (one entry each, and the overall status), the admin ListComponents RPC, logs and
 * OpenTelemetry gauges. Components report; they never touch health or metrics themselves.
 */
export class ComponentRegistry {
  private readonly entries = new Map<string, { spec: ComponentSpec; status: ComponentStatus }>();
  private readonly listeners = new Set<(status: ComponentStatus) => void>();

  constructor(private readonly logger?: ComponentLogger) {
    const meter = metrics.getMeter('@tagguard/runtime');
    const up = meter.createObservableGauge('tagguard.component.up', {
      description: '1 while the component is healthy (running or standby), else 0',
    });
    const leader = meter.createObservableGauge('tagguard.component.leader', {
      description: '1 while this instance holds the lease the component runs under',
    });
    const parked = meter.createObservableGauge('tagguard.component.parked', {
      description: 'events parked (dead-lettered) by the component since start',
    });
    const lagEvents = meter.createObservableGauge('tagguard.subscription.lag.events', {
      description: 'events stored after the component checkpoint',
      unit: '{event}',
    });
    const lagSeconds = meter.createObservableGauge('tagguard.subscription.lag.seconds', {
      description: 'age of the oldest event the component has not handled yet',
      unit: 's',
    });
    meter.addBatchObservableCallback(
      async (result) => {
        for (const { spec, status } of this.entries.values()) {
          const attributes: Attributes = { component: spec.name, kind: spec.kind, role: status.role };
          result.observe(up, isHealthy(status.state) ? 1 : 0, attributes);
          if (status.role !== 'single') result.observe(leader, status.role === 'leader' ? 1 : 0, attributes);
          result.observe(parked, status.parked, attributes);
          const lag = await spec.lag?.().catch(() => undefined);
          if (lag) {
            result.observe(lagEvents, lag.events, attributes);
            result.observe(lagSeconds, lag.seconds, attributes);
          }
        }
      },
      [up, leader, parked, lagEvents, lagSeconds],
    );
  }

  register(spec: ComponentSpec): ComponentHandle {
    if (this.entries.has(spec.name)) throw new Error(`component ${spec.name} is registered twice`);
    const status: ComponentStatus = {
      name: spec.name,
      kind: spec.kind,
      state: 'starting',
      role: 'single',
      since: new Date(),
      retries: 0,
      parked: 0,
    };
    this.entries.set(spec.name, { spec, status });
    const fields = (): object => ({ component: spec.name, kind: spec.kind, role: status.role });
    const changed = (): void => {
      for (const listener of this.listeners) listener({ ...status });
    };
    return {
      name: spec.name,
      status: () => ({ ...status }),
      set: (state, error) => {
        const message = error === undefined ? undefined : errorMessage(error);
        if (state === status.state && message === status.lastError) return;
        status.state = state;
        status.since = new Date();
        if (message !== undefined) status.lastError = message;
        const line = { event: `component.${state}`, ...fields(), ...(message ? { err: message } : {}) };
        if (state === 'failed') this.logger?.error(line, `${spec.name} failed and stopped: ${message}`);
        else if (state === 'retrying') this.logger?.warn(line, `${spec.name} is retrying: ${message}`);
        else this.logger?.info(line, `${spec.name} ${state}`);
        changed();
      },
      setRole: (role) => {
        if (role === status.role) return;
        status.role = role;
        this.logger?.info({ event: 'component.role', ...fields() }, `${spec.name} is ${role}`);
        changed();
      },
      retrying: (error, attempt, delayMs) => {
        status.retries++;
        status.lastError = errorMessage(error);
        this.logger?.warn(
          { event: 'component.retry', ...fields(), attempt, delayMs, err: status.lastError },
          `${spec.name} attempt ${attempt} failed, retrying in ${delayMs} ms: ${status.lastError}`,
        );
        if (status.state !== 'retrying') {
          status.state = 'retrying';
          status.since = new Date();
          changed();
        }
      },
      parked: (what, reason) => {
        status.parked++;
        this.logger?.error(
          { event: 'component.parked', ...fields(), parked: what, reason },
          `${spec.name} parked ${what}: ${reason}`,
        );
        changed();
      },
    };
  }

  list(): ComponentStatus[] {
    return [...this.entries.values()].map((e) => ({ ...e.status }));
  }

  get(name: string): ComponentSpec | undefined {
    return this.entries.get(name)?.spec;
  }

  /** True when every registered component is healthy (and when there is none). */
  healthy(): boolean {
    return [...this.entries.values()].every((e) => isHealthy(e.status.state));
  }

  onChange(listener: (status: ComponentStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
