export const FLOW_POOL = Symbol('MUTE_FLOW_POOL');
export const FLOW_RUNNER = Symbol('MUTE_FLOW_RUNNER');
const iso = (ms: number | null | undefined): string =>
  ms === null || ms === undefined ? '' : new Date(ms).toISOString();
export { iso as isoOut };
