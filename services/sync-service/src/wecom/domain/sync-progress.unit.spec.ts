import { ProgressMeter } from './sync-progress';

describe('ProgressMeter', () => {
  it('given a phase under way, when ticks come faster than the interval, then only the first, one per interval and the last are reported', () => {
    const meter = new ProgressMeter(250);
    const sent = [0, 100, 200, 300, 400, 600, 700].map((t, i) =>
      meter.tick({ phase: 'employees', done: i + 1, total: 7 }, t),
    );
    expect(sent.map((s) => s?.done)).toEqual([1, undefined, undefined, 4, undefined, 6, 7]);
  });

  it('given 500 of 2,000 done 2 seconds into the phase, then the rate is 250/s and the ETA 6 s', () => {
    const meter = new ProgressMeter(0);
    meter.tick({ phase: 'reconciling', done: 0, total: 2_000 }, 10_000);
    expect(meter.tick({ phase: 'reconciling', done: 500, total: 2_000 }, 12_000)).toEqual({
      phase: 'reconciling',
      done: 500,
      total: 2_000,
      ratePerSecond: 250,
      etaSeconds: 6,
    });
  });

  it('given a new phase, then its rate starts from that phase, not from the sync', () => {
    const meter = new ProgressMeter(0);
    meter.tick({ phase: 'employees', done: 0, total: 10 }, 0);
    meter.tick({ phase: 'employees', done: 10, total: 10 }, 10_000);
    meter.tick({ phase: 'customers', done: 0, total: 100 }, 10_000);
    expect(meter.tick({ phase: 'customers', done: 100, total: 100 }, 11_000)).toMatchObject({
      ratePerSecond: 100,
      etaSeconds: 0,
    });
  });

  it('given nothing done yet, then rate and ETA are 0 (unknown), not infinite', () => {
    expect(new ProgressMeter().tick({ phase: 'employees', done: 0, total: 5 }, 0)).toMatchObject({
      ratePerSecond: 0,
      etaSeconds: 0,
    });
  });

  it('given a phase that sped up, then the rate is that of the last 10 s, and the ETA follows it', () => {
    const meter = new ProgressMeter(0, 10_000);
    // 20 s at 100/s, then 10 s at 1,000/s.
    for (let t = 0; t <= 20; t++)
      meter.tick({ phase: 'reconciling', done: t * 100, total: 100_000 }, t * 1000);
    let report;
    for (let t = 21; t <= 30; t++)
      report = meter.tick({ phase: 'reconciling', done: 2_000 + (t - 20) * 1_000, total: 100_000 }, t * 1000);
    expect(report).toMatchObject({ done: 12_000, ratePerSecond: 1_000, etaSeconds: 88 });
  });
});
