import type { MuteRuleSet, MuteSettings } from './model';

/** Asia/Shanghai, the CN calendar (chinese-days), working hours 09:00–18:00 on working days. */
export function defaultSettings(): MuteSettings {
  return {
    defaultTimeZone: 'Asia/Shanghai',
    timeZones: new Map(),
    calendar: 'CN',
    workingTime: { hours: [{ start: '09:00', end: '18:00' }], calendar: 'CN' },
  };
}

export function emptyRuleSet(tenantId: string): MuteRuleSet {
  return { tenantId, rules: new Map(), greenChannels: new Map(), settings: defaultSettings(), position: 0n };
}
