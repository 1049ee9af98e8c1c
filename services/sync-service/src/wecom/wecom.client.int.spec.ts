import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { demoDirectory, startWeComSandbox, type WeComSandbox } from '@tagguard/wecom-sandbox';
import { WeComApiError, WeComClient, type WeComCallReport } from './wecom.client';

const CORP = 'wwclient000000001';
const SECRET = 'client-secret';
let sandbox: WeComSandbox;
/** When set, the sandbox's frequency windows read this clock instead of the wall clock. */
let sandboxClock: number | undefined;

beforeEach(async () => {
  sandboxClock = undefined;
  sandbox = await startWeComSandbox({
    corps: [{ corpId: CORP, secret: SECRET }],
    now: () => sandboxClock ?? Date.now(),
  });
  sandbox.admin(CORP).seed(demoDirectory());
});
afterEach(() => sandbox.close());

const client = (extra: Partial<ConstructorParameters<typeof WeComClient>[0]> = {}) => {
  const calls: WeComCallReport[] = [];
  const sleeps: number[] = [];
  const c = new WeComClient({
    baseUrl: sandbox.url,
    corpId: CORP,
    secret: SECRET,
    baseDelayMs: 20,
    onCall: (r) => calls.push(r),
    sleep: async (ms) => {
      sleeps.push(ms);
      await new Promise((r) => setTimeout(r, ms));
    },
    ...extra,
  });
  return { c, calls, sleeps };
};

describe('WeComClient against the sandbox', () => {
  it('stays within its per-API frequency budget: the call past it waits for room instead of being sent', async () => {
    let clock = Date.UTC(2026, 11, 1, 9, 0, 0);
    const waits: number[] = [];
    const c = new WeComClient({
      baseUrl: sandbox.url,
      corpId: CORP,
      secret: SECRET,
      limits: { perMinute: 3, perHour: 100 },
      now: () => clock,
      sleep: async (ms) => {
        waits.push(ms);
        clock += ms;
      },
    });
    for (let i = 0; i < 3; i++) {
      await c.get('/cgi-bin/user/get', { userid: 'lisi' });
      clock += 1_000;
    }
    expect(waits).toEqual([]);
    await c.get('/cgi-bin/user/get', { userid: 'lisi' });
    expect(waits).toEqual([57_000]);
    expect(c.stats.budgetWaits).toBe(1);
    await c.get('/cgi-bin/department/list');
    expect(waits).toHaveLength(1);
    expect(sandbox.admin(CORP).callCount('/cgi-bin/user/get')).toBe(4);
  });

  it('fetches the access_token once and reuses it across calls', async () => {
    const { c } = client();
    for (let i = 0; i < 5; i++) await c.get('/cgi-bin/user/get', { userid: 'lisi' });
    expect(sandbox.admin(CORP).callCount('/cgi-bin/gettoken')).toBe(1);
    expect(sandbox.admin(CORP).callCount('/cgi-bin/user/get')).toBe(5);
  });

  it('given the token expired (42001) or was revoked (40014), then it refreshes once and the call succeeds', async () => {
    const { c, calls } = client();
    await c.get('/cgi-bin/department/list');
    sandbox.admin(CORP).expireTokens();
    await expect(c.get('/cgi-bin/user/get', { userid: 'lisi' })).resolves.toMatchObject({ userid: 'lisi' });
    sandbox.admin(CORP).revokeTokens();
    await expect(c.get('/cgi-bin/user/get', { userid: 'lisi' })).resolves.toMatchObject({ userid: 'lisi' });
    expect(sandbox.admin(CORP).callCount('/cgi-bin/gettoken')).toBe(3);
    expect(calls.filter((r) => r.path === '/cgi-bin/user/get').map((r) => r.errcode)).toEqual([
      42001, 0, 40014, 0,
    ]);
  });

  it('given a token rejected again right after a refresh, then it does not loop: the errcode is reported', async () => {
    const { c } = client();
    sandbox.admin(CORP).plantFault({ path: '/cgi-bin/user/get', errcode: 40014, times: 5 });
    await expect(c.get('/cgi-bin/user/get', { userid: 'lisi' })).rejects.toMatchObject({
      errcode: 40014,
      path: '/cgi-bin/user/get',
    });
    expect(sandbox.admin(CORP).callCount('/cgi-bin/user/get')).toBe(2);
  });

  it('given the frequency limit (45009), then it backs off with jitter and succeeds once the window reopens', async () => {
    // The window only moves when the client sleeps, so the test does not depend on how fast the machine is.
    sandboxClock = Date.UTC(2026, 11, 1, 9, 0, 0);
    sandbox.setLimits([{ windowMs: 1_000, max: 2 }]);
    const sleeps: number[] = [];
    const { c, calls } = client({
      baseDelayMs: 200,
      maxAttempts: 8,
      random: () => 1,
      sleep: async (ms) => {
        sleeps.push(ms);
        sandboxClock! += ms;
      },
    });
    const answers = [];
    for (let i = 0; i < 4; i++)
      answers.push(await c.get<{ userid: string }>('/cgi-bin/user/get', { userid: 'lisi' }));
    expect(answers.map((a) => a.userid)).toEqual(['lisi', 'lisi', 'lisi', 'lisi']);
    expect(calls.some((r) => r.errcode === 45009)).toBe(true);
    expect(sleeps.length).toBe(c.stats.retries);
    expect(sleeps).toEqual([200, 400, 800]); // random()=1: the full cap of each step, doubling until the window reopens
  });

  it('given 45009 on every attempt, then it gives up after maxAttempts with errcode 45009', async () => {
    sandbox.admin(CORP).plantFault({ path: '/cgi-bin/user/get', errcode: 45009, times: 100 });
    const { c, sleeps } = client({ maxAttempts: 3, random: () => 0.5 });
    await expect(c.get('/cgi-bin/user/get', { userid: 'lisi' })).rejects.toEqual(
      new WeComApiError('/cgi-bin/user/get', 45009, 'sandbox: planted fault'),
    );
    expect(sandbox.admin(CORP).callCount('/cgi-bin/user/get')).toBe(3);
    expect(sleeps).toEqual([10, 20]); // full jitter: random() · base·2^(attempt-1)
  });

  it('given an errcode that is no transient (60111), then it is reported at once, without retry', async () => {
    const { c } = client();
    await expect(c.get('/cgi-bin/user/get', { userid: 'nobody' })).rejects.toMatchObject({ errcode: 60111 });
    expect(sandbox.admin(CORP).callCount('/cgi-bin/user/get')).toBe(1);
  });

  it('given HTTP 502 twice, then it retries and the third answer is taken', async () => {
    let hits = 0;
    const flaky = createServer((req, res) => {
      hits++;
      if (req.url?.startsWith('/cgi-bin/gettoken'))
        return void res.end(JSON.stringify({ errcode: 0, access_token: 't', expires_in: 7200 }));
      if (hits <= 3) return void res.writeHead(502).end('bad gateway');
      res.end(JSON.stringify({ errcode: 0, errmsg: 'ok', userid: 'x' }));
    });
    await new Promise<void>((r) => flaky.listen(0, '127.0.0.1', () => r()));
    try {
      const { port } = flaky.address() as AddressInfo;
      const { c, calls } = client({ baseUrl: `http://127.0.0.1:${port}` });
      await expect(c.get('/cgi-bin/user/get', { userid: 'x' })).resolves.toMatchObject({ userid: 'x' });
      expect(calls.filter((r) => r.path === '/cgi-bin/user/get').map((r) => r.errcode)).toEqual([-1, -1, 0]);
    } finally {
      flaky.close();
    }
  });

  it('given nothing listening, then it gives up after maxAttempts with errcode -1', async () => {
    const closed = await startWeComSandbox({ corps: [] });
    await closed.close();
    const { c } = client({ baseUrl: closed.url, maxAttempts: 2 });
    await expect(c.get('/cgi-bin/user/get')).rejects.toMatchObject({
      errcode: -1,
      path: '/cgi-bin/gettoken',
    });
  });

  it('given a wrong secret, then gettoken reports 40001 without retrying', async () => {
    const { c } = client({ secret: 'wrong' });
    await expect(c.get('/cgi-bin/user/get')).rejects.toMatchObject({
      errcode: 40001,
      path: '/cgi-bin/gettoken',
    });
    expect(sandbox.admin(CORP).callCount('/cgi-bin/gettoken')).toBe(1);
  });
});
