import { CallBudget } from './call-budget';

const T0 = Date.UTC(2026, 11, 1, 9, 0, 0);

describe('CallBudget (WeCom frequency limits per API)', () => {
  it('given room in both windows, when a call is taken, then it goes at once and is counted', () => {
    const budget = new CallBudget({ perMinute: 2, perHour: 10 });
    expect(budget.take('/cgi-bin/user/get', T0)).toBe(0);
    expect(budget.take('/cgi-bin/user/get', T0 + 10)).toBe(0);
    expect(budget.take('/cgi-bin/user/get', T0 + 20)).toBeGreaterThan(0);
  });

  it('given a spent minute, then the wait ends when the oldest call of that minute leaves it', () => {
    const budget = new CallBudget({ perMinute: 2, perHour: 10 });
    budget.take('/p', T0);
    budget.take('/p', T0 + 30_000);
    expect(budget.take('/p', T0 + 40_000)).toBe(20_000);
    expect(budget.take('/p', T0 + 60_000)).toBe(0);
    expect(budget.take('/p', T0 + 60_500)).toBe(29_500);
  });

  it('given a spent hour, then the minute window having room is not enough', () => {
    const budget = new CallBudget({ perMinute: 100, perHour: 3 });
    budget.take('/p', T0);
    budget.take('/p', T0 + 61_000);
    budget.take('/p', T0 + 122_000);
    expect(budget.take('/p', T0 + 200_000)).toBe(3_600_000 - 200_000);
    expect(budget.take('/p', T0 + 3_600_000)).toBe(0);
  });

  it('given one API spent, then another API still has its own budget', () => {
    const budget = new CallBudget({ perMinute: 1, perHour: 10 });
    expect(budget.take('/cgi-bin/user/list', T0)).toBe(0);
    expect(budget.take('/cgi-bin/user/list', T0)).toBeGreaterThan(0);
    expect(budget.take('/cgi-bin/department/list', T0)).toBe(0);
  });
});
