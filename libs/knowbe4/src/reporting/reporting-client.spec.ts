import { inspect } from 'node:util';
import {
  KnowBe4AuthError,
  KnowBe4BudgetExhaustedError,
  KnowBe4NotFoundError,
  KnowBe4RateLimitError,
  KnowBe4RequestError,
  KnowBe4UpstreamError,
} from '../errors';
import { seededRandom } from '../http/clock';
import type { KnowBe4RequestEvent } from '../http/request-events/request-reporter';
import { RatePacer } from '../pacing/rate-pacer';
import { FakeClock, HttpStub, startHttpStub, StubAnswer, StubRequest } from '../testing/http-stub';
import { ReportingClient, ReportingClientOptions } from './reporting-client';
import type { KnowBe4User } from './types';

const API_KEY = 'kb4-test-key-0123456789abcdef';

function usersPage(total: number, page: number, perPage: number): Array<Partial<KnowBe4User> | null> {
  const from = (page - 1) * perPage;
  const to = Math.min(total, from + perPage);
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => ({ id: from + i + 1, email: `u${from + i + 1}@x.io` }));
}

describe('ReportingClient against a stub KnowBe4', () => {
  let stub: HttpStub;
  let answer: (request: StubRequest) => StubAnswer;
  let clock: FakeClock;

  beforeEach(async () => {
    answer = () => ({ status: 200, body: {} });
    stub = await startHttpStub((request) => answer(request));
    clock = new FakeClock();
  });
  afterEach(() => stub.close());

  const client = (overrides: Partial<ReportingClientOptions> = {}): ReportingClient =>
    new ReportingClient({
      region: 'eu',
      apiKey: API_KEY,
      baseUrlOverride: stub.url,
      pacer: 'off',
      clock,
      retry: { random: seededRandom(1), maxAttempts: 4 },
      ...overrides,
    });

  it('sends the bearer key to {override}/{region}/v1 and exposes the upstream request id', async () => {
    answer = () => ({ status: 200, body: { name: 'Acme' }, headers: { 'x-request-id': 'up-123' } });
    const kb4 = client();
    await expect(kb4.getAccount({ requestId: 'ours-1' })).resolves.toEqual({ name: 'Acme' });
    expect(stub.requests[0].path).toBe('/eu/v1/account');
    expect(stub.requests[0].headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(stub.requests[0].headers['x-request-id']).toBe('ours-1');
    expect(kb4.lastRequestId).toBe('up-123');
  });

  it('pages 1,234 users with per_page 500 and stops after the short last page without skipping anyone', async () => {
    answer = (r) => ({ status: 200, body: usersPage(1234, Number(r.query.get('page')), Number(r.query.get('per_page'))) });
    const ids: number[] = [];
    for await (const user of client().users()) ids.push(user.id);
    expect(ids).toHaveLength(1234);
    expect(new Set(ids).size).toBe(1234);
    expect(stub.requests.map((r) => r.query.get('page'))).toEqual(['1', '2', '3']);
    expect(stub.requests.every((r) => r.query.get('per_page') === '500')).toBe(true);
  });

  it('keeps paging when the server caps pages below per_page, and confirms a single short page with []', async () => {
    answer = (r) => ({ status: 200, body: usersPage(250, Number(r.query.get('page')), 100) });
    const pages: number[] = [];
    for await (const page of client().pagesOfUsers()) pages.push(page.length);
    expect(pages).toEqual([100, 100, 50]);

    stub.requests.length = 0;
    answer = (r) => ({ status: 200, body: usersPage(37, Number(r.query.get('page')), 500) });
    expect(await client().listUsers().toArray()).toHaveLength(37);
    expect(stub.requests).toHaveLength(2);
  });

  it('skips and counts null entries, and copies renamed adi_* fields to provisioning_*', async () => {
    answer = (r) =>
      r.query.get('page') === '1'
        ? { status: 200, body: [{ id: 1, email: 'a@x.io', adi_guid: 'g-1', adi_manageable: true }, null, { id: 2, email: 'b@x.io' }] }
        : { status: 200, body: [] };
    const skipped: unknown[] = [];
    const kb4 = client({ onSkippedRecord: (s) => skipped.push(s) });
    const users = await kb4.listUsers({ status: 'active' }).toArray();
    expect(users.map((u) => u.id)).toEqual([1, 2]);
    expect(users[0].provisioning_guid).toBe('g-1');
    expect(users[0].provisioning_managed).toBe(true);
    expect(kb4.skippedRecords).toBe(1);
    expect(skipped).toEqual([{ path: '/users', page: 1, index: 1, reason: 'null' }]);
    expect(stub.requests[0].query.get('status')).toBe('active');
  });

  it('walks enrollments in cursor mode until next_cursor is empty', async () => {
    answer = (r) => {
      const cursor = r.query.get('cursor');
      if (cursor === 'true') return { status: 200, body: { data: [{ enrollment_id: 1 }], _metadata: { next_cursor: 'c2' } } };
      if (cursor === 'c2') return { status: 200, body: { data: [{ enrollment_id: 2, store_purchased_id: 9 }], _metadata: { next_cursor: '' } } };
      return { status: 400, body: { message: 'bad cursor' } };
    };
    const enrollments = await client().listEnrollments({ mode: 'cursor', include_employee_number: true }).toArray();
    expect(enrollments.map((e) => e.enrollment_id)).toEqual([1, 2]);
    expect(enrollments[1].store_purchase_id).toBe(9);
    expect(stub.requests[0].query.get('include_employee_number')).toBe('true');
  });

  it('lists training campaigns with exclude_percentages=true by default', async () => {
    answer = () => ({ status: 200, body: [] });
    await client().listTrainingCampaigns().toArray();
    expect(stub.requests[0].query.get('exclude_percentages')).toBe('true');
  });

  it('maps 401 to KnowBe4AuthError saying the region is probably wrong, without the key anywhere', async () => {
    answer = () => ({ status: 401, body: { message: `Invalid Token ${API_KEY}` }, headers: { 'x-request-id': 'rid-401' } });
    const kb4 = client();
    const error = (await kb4.getUser(1).catch((e: unknown) => e)) as KnowBe4AuthError;
    expect(error).toBeInstanceOf(KnowBe4AuthError);
    expect(error.insight).toBe('auth_error');
    expect(error.status).toBe(401);
    expect(error.requestId).toBe('rid-401');
    expect(error.message).toContain('the API key was rejected by the eu region');
    expect(error.message).toContain('the region is probably wrong');
    expect(stub.requests).toHaveLength(1);
    for (const rendering of [error.message, JSON.stringify(error), inspect(error, { depth: 10 }), error.stack ?? '']) {
      expect(rendering).not.toContain(API_KEY);
    }
  });

  it('never shows the key through toJSON or util.inspect of the client', () => {
    const kb4 = client();
    expect(JSON.stringify(kb4)).not.toContain(API_KEY);
    expect(inspect(kb4, { depth: 10, showHidden: true })).not.toContain(API_KEY);
    expect(String(kb4)).not.toContain(API_KEY);
  });

  it('maps 404 to KnowBe4NotFoundError and other 4xx to KnowBe4RequestError, without retrying', async () => {
    answer = (r) => (r.path.endsWith('/users/404') ? { status: 404, body: { message: 'Not found' } } : { status: 422, body: {} });
    await expect(client().getUser(404)).rejects.toBeInstanceOf(KnowBe4NotFoundError);
    await expect(client().getUser(1)).rejects.toBeInstanceOf(KnowBe4RequestError);
    expect(stub.requests).toHaveLength(2);
  });

  it('retries 5xx and 429 with backoff and reports every attempt to the metrics hook', async () => {
    const statuses = [503, 429, 200];
    answer = () => {
      const status = statuses.shift() ?? 200;
      return { status, body: status === 200 ? [] : { message: 'busy' } };
    };
    const events: KnowBe4RequestEvent[] = [];
    await client({ onRequest: (e) => events.push(e) }).getAccountRiskScoreHistory();
    expect(events.map((e) => [e.status, e.outcome])).toEqual([
      [503, 'retry'],
      [429, 'retry'],
      [200, 'success'],
    ]);
    expect(clock.sleeps).toHaveLength(2);
  });

  it("gives the caller's work slot back for each retry's backoff and holds it again before the next attempt", async () => {
    const statuses = [429, 503, 200];
    const log: string[] = [];
    answer = () => {
      const status = statuses.shift() ?? 200;
      log.push(`answered ${status}`);
      return { status, body: status === 200 ? [] : { message: 'busy' } };
    };
    const workSlot = {
      giveBack: () => log.push('given back'),
      takeBack: () => {
        log.push('taken back');
        return Promise.resolve();
      },
    };
    await client({ pacing: { lane: 'sync', workSlot } }).getAccountRiskScoreHistory();
    expect(log).toEqual(['answered 429', 'given back', 'taken back', 'answered 503', 'given back', 'taken back', 'answered 200']);
  });

  it('ends a permanent 429 in KnowBe4RateLimitError after maxAttempts', async () => {
    answer = () => ({ status: 429, body: { message: 'Too many requests' } });
    const error = (await client().getAccount().catch((e: unknown) => e)) as KnowBe4RateLimitError;
    expect(error).toBeInstanceOf(KnowBe4RateLimitError);
    expect(error.attempts).toBe(4);
    expect(stub.requests).toHaveLength(4);
  });

  it('retries a dropped connection and ends persistent drops in KnowBe4UpstreamError', async () => {
    let drops = 1;
    answer = () => (drops-- > 0 ? 'drop' : { status: 200, body: { name: 'Acme' } });
    await expect(client().getAccount()).resolves.toEqual({ name: 'Acme' });
    answer = () => 'drop';
    const error = (await client().getAccount().catch((e: unknown) => e)) as KnowBe4UpstreamError;
    expect(error).toBeInstanceOf(KnowBe4UpstreamError);
    expect(error.insight).toBe('remote_error');
    expect(error.status).toBeUndefined();
  });

  it('times out a request that never answers, retries it, then gives up with KnowBe4UpstreamError', async () => {
    answer = () => 'hang';
    const error = (await client({ timeoutMs: 100, retry: { maxAttempts: 2 } })
      .getAccount()
      .catch((e: unknown) => e)) as KnowBe4UpstreamError;
    expect(error).toBeInstanceOf(KnowBe4UpstreamError);
    expect(error.attempts).toBe(2);
    expect(stub.requests).toHaveLength(2);
  });

  it('throws KnowBe4BudgetExhaustedError instead of sleeping when the daily budget is spent', async () => {
    answer = () => ({ status: 200, body: { name: 'Acme' } });
    const pacer = new RatePacer({ clock, dailyLimit: 2 });
    const kb4 = client({ pacer });
    await kb4.getAccount();
    await kb4.getAccount();
    await expect(kb4.getAccount()).rejects.toBeInstanceOf(KnowBe4BudgetExhaustedError);
    expect(stub.requests).toHaveLength(2);
  });

  it('verifyCredentials returns a typed result instead of throwing', async () => {
    answer = () => ({ status: 200, body: { name: 'Acme', number_of_seats: 10 } });
    await expect(client().verifyCredentials()).resolves.toMatchObject({ ok: true, account: { name: 'Acme' } });
    answer = () => ({ status: 401, body: { message: 'Invalid Token' } });
    const failed = await client().verifyCredentials();
    expect(failed).toMatchObject({ ok: false, reason: 'auth' });
    expect(failed.ok === false && failed.message).toContain('region is probably wrong');
  });

  it('refuses proxy paths that could leave the base URL', async () => {
    await expect(client().getRaw('/../../scim/v2/Users')).rejects.toThrow(TypeError);
    await expect(client().getRaw('//evil.example/x')).rejects.toThrow(TypeError);
    answer = () => ({ status: 200, body: [] });
    await expect(client().getRaw('/users', { page: 1 })).resolves.toMatchObject({ status: 200, body: [] });
  });

  it('getRawPage returns the bytes as sent with a lazy json(), retried and mapped like every other call', async () => {
    let calls = 0;
    answer = (r) => {
      calls += 1;
      return calls === 1 ? { status: 503, body: { message: 'busy' } } : { status: 200, body: usersPage(3, Number(r.query.get('page')), 500) };
    };
    const raw = await client().getRawPage('/users', { page: 1, per_page: 500 });
    expect(raw).toMatchObject({ status: 200, attempts: 2 });
    expect(raw.bytes.toString('utf8')).toBe(JSON.stringify(usersPage(3, 1, 500)));
    expect(Buffer.concat(raw.chunks).equals(raw.bytes)).toBe(true);
    expect(raw.json()).toEqual(usersPage(3, 1, 500));
    answer = () => ({ status: 404, body: { message: 'nope' } });
    await expect(client().getRawPage('/users/9')).rejects.toThrow(KnowBe4NotFoundError);
  });
});
