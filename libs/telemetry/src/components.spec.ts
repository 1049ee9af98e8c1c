import { metrics } from '@opentelemetry/api';
import { MeterProvider, MetricReader, type MetricData } from '@opentelemetry/sdk-metrics';
import { ComponentRegistry } from './components';

class CollectingReader extends MetricReader {
  // Nothing to flush or close: collect() is called by the test itself.
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

describe('ComponentRegistry metrics (OpenTelemetry SDK reader)', () => {
  const reader = new CollectingReader();
  const provider = new MeterProvider({ readers: [reader] });
  beforeAll(() => metrics.setGlobalMeterProvider(provider));
  afterAll(async () => {
    await provider.shutdown();
    metrics.disable();
  });

  const points = async (): Promise<Map<string, MetricData>> => {
    const { resourceMetrics } = await reader.collect();
    return new Map(resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).map((m) => [m.descriptor.name, m]));
  };

  it('exports up, parked and lag per component as gauges, with component, kind and role', async () => {
    const registry = new ComponentRegistry();
    const projection = registry.register({
      name: 'svc.view',
      kind: 'projection',
      lag: async () => ({ events: 42, seconds: 3.5 }),
    });
    projection.setRole('leader');
    projection.set('running');
    projection.parked('E1', 'bad data');
    const relay = registry.register({ name: 'svc.relay', kind: 'relay' });
    relay.retrying(new Error('broker down'), 1, 100);

    const byName = await points();
    const valueOf = (metric: string, component: string) =>
      byName.get(metric)?.dataPoints.find((p) => p.attributes['component'] === component)?.value;
    expect(valueOf('tagguard.component.up', 'svc.view')).toBe(1);
    expect(valueOf('tagguard.component.up', 'svc.relay')).toBe(0);
    expect(valueOf('tagguard.component.leader', 'svc.view')).toBe(1);
    expect(valueOf('tagguard.component.parked', 'svc.view')).toBe(1);
    expect(valueOf('tagguard.subscription.lag.events', 'svc.view')).toBe(42);
    expect(valueOf('tagguard.subscription.lag.seconds', 'svc.view')).toBe(3.5);
    expect(valueOf('tagguard.subscription.lag.events', 'svc.relay')).toBeUndefined();
    expect(byName.get('tagguard.component.up')?.dataPoints[0]?.attributes).toEqual({
      component: 'svc.view',
      kind: 'projection',
      role: 'leader',
    });
  });
});
