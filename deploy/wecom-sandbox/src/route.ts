import type { CorpAdmin } from './corp-admin';

export type Params = Record<string, unknown>;
export type Answer = Record<string, unknown>;
/** One API path: its method, whether it takes an access_token, and of which API (WeCom or Exmail). */
export type Route = {
  method: 'GET' | 'POST';
  auth: boolean;
  api?: 'wecom' | 'exmail';
  handle: (corp: CorpAdmin, p: Params) => Answer;
};

export const str = (value: unknown): string | undefined => (value === undefined ? undefined : String(value));
