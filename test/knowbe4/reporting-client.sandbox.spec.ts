import { startSandbox, type RunningSandbox, type TenantCredentials } from '../../apps/knowbe4-sandbox/src/sandbox';
import {
  KnowBe4AuthError,
  KnowBe4RateLimitError,
  ReportingClient,
  seededRandom,
  type KnowBe4RequestEvent,
  type ReportingClientOptions,
} from '@kb4/knowbe4';

/** Real HTTP against the KnowBe4 sandbox: the client and the emulator were written independently. */
describe('ReportingClient against the KnowBe4 sandbox', () => {
  let sandbox: RunningSandbox;
  let tenant: TenantCredentials;

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0 });
    // Promise.resolve: the agreed contract is async, the sandbox answers synchronously today.
    tenant = await Promise.resolve(sandbox.createTenant({ seed: 7, users: 1234, region: 'eu', rate_limit_profile: 'off' }));
  });
  afterAll(() => sandbox.close());
  afterEach(async () => {
    await fetch(`${sandbox.url}/_sandbox/faults`, { method: 'DELETE' });
  });

  const putFaults = async (rules: unknown[], seed = 11): Promise<void> => {
    const response = await fetch(`${sandbox.url}/_sandbox/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rules, seed }),
    });
    expect(response.ok).toBe(true);
  };

  const client = (overrides: Partial<ReportingClientOptions> = {}): ReportingClient =>
    new ReportingClient({
      region: tenant.region,
      apiKey: tenant.reporting_api_key,
      baseUrlOverride: sandbox.url,
      pacer: 'off',
      retry: { random: seededRandom(5), baseDelayMs: 10, maxDelayMs: 100, maxAttempts: 20, maxElapsedMs: 30_000 },
      ...overrides,
    });

  it('builds the same Reporting base URL the sandbox hands out for the tenant', () => {
    expect(client().baseUrl).toBe(tenant.reporting_base_url);
  });

  it('walks 1,234 users in cursor mode and yields every user exactly once', async () => {
    const ids: number[] = [];
    for await (const user of client({ pagination: 'cursor' }).listUsers({ per_page: 500 })) ids.push(user.id);
    expect(ids).toHaveLength(1234);
    expect(new Set(ids).size).toBe(1234);
  });

  it('does not skip a surviving user when another is deleted mid-walk in cursor mode (page mode does)', async () => {
    const walkWhileDeleting = async (pagination: 'page' | 'cursor'): Promise<Set<number>> => {
      const t = sandbox.createTenant({ seed: 21, users: 300, region: 'eu', rate_limit_profile: 'off' });
      const kb4 = new ReportingClient({ region: t.region, apiKey: t.reporting_api_key, baseUrlOverride: sandbox.url, pacer: 'off', pagination });
      const seen = new Set<number>();
      let deleted = false;
      for await (const page of kb4.pagesOfUsers({ per_page: 100 })) {
        for (const user of page) seen.add(user.id);
        if (!deleted) {
          // the console hard-deletes a user of the page just read: later page boundaries shift by one
          const response = await fetch(`${sandbox.url}/_sandbox/tenants/${t.id}/users/${page[0].id}`, { method: 'DELETE' });
          expect(response.ok).toBe(true);
          deleted = true;
        }
      }
      return seen;
    };
    const byCursor = await walkWhileDeleting('cursor');
    expect(byCursor.size).toBe(300); // 299 survivors + the deleted one, read before it went
    const byPage = await walkWhileDeleting('page');
    expect(byPage.size).toBe(299); // one survivor slid onto the page already read
  });

  it('pages 1,234 users with per_page 500 and yields every user exactly once', async () => {
    const ids: number[] = [];
    let pages = 0;
    for await (const page of client().pagesOfUsers({ per_page: 500 })) {
      pages += 1;
      for (const user of page) ids.push(user.id);
    }
    expect(ids).toHaveLength(1234);
    expect(new Set(ids).size).toBe(1234);
    expect(pages).toBe(3);
  });

  it('yields the same users one by one as page by page', async () => {
    const kb4 = client();
    const oneByOne: number[] = [];
    for await (const user of kb4.users({ status: 'active' })) oneByOne.push(user.id);
    const paged = (await kb4.listUsers({ status: 'active' }).toArray()).map((u) => u.id);
    expect(oneByOne).toEqual(paged);
    expect(oneByOne.length).toBeGreaterThan(0);
  });

  it('fails with a wrong-region hint when the key is used in another region', async () => {
    const wrongRegion = client({ region: 'us' });
    const error = (await wrongRegion.getAccount().catch((e: unknown) => e)) as KnowBe4AuthError;
    expect(error).toBeInstanceOf(KnowBe4AuthError);
    expect(error.status).toBe(401);
    expect(error.message).toContain('rejected by the us region');
    expect(error.message).toContain('the region is probably wrong');
    expect(JSON.stringify(error)).not.toContain(tenant.reporting_api_key);
    const verified = await wrongRegion.verifyCredentials();
    expect(verified).toMatchObject({ ok: false, reason: 'auth' });
  });

  it('survives a 429 storm (60% of requests for a while) within the retry budget', async () => {
    await putFaults([{ path_prefix: '/v1/users', error_rate: 0.6, statuses: [429], times: 40 }]);
    const events: KnowBe4RequestEvent[] = [];
    const ids: number[] = [];
    for await (const user of client({ onRequest: (e) => events.push(e) }).users({ per_page: 100 })) ids.push(user.id);
    expect(ids).toHaveLength(1234);
    expect(new Set(ids).size).toBe(1234);
    expect(events.some((e) => e.status === 429 && e.outcome === 'retry')).toBe(true);
  });

  it('ends a permanent 429 in KnowBe4RateLimitError within the bounded time', async () => {
    await putFaults([{ path_prefix: '/v1/account', error_rate: 1, statuses: [429] }]);
    const maxElapsedMs = 1_500;
    const kb4 = client({ retry: { random: seededRandom(9), baseDelayMs: 50, maxDelayMs: 400, maxAttempts: 50, maxElapsedMs } });
    const error = (await kb4.getAccount().catch((e: unknown) => e)) as KnowBe4RateLimitError;
    expect(error).toBeInstanceOf(KnowBe4RateLimitError);
    expect(error.status).toBe(429);
    expect(error.attempts).toBeGreaterThan(1);
    // 50 attempts of at most 400 ms would take far longer than the budget: the time bound is what ended it
    expect(error.attempts).toBeLessThan(50);
  });

  it('ends a permanent 429 after maxAttempts when attempts run out first', async () => {
    await putFaults([{ path_prefix: '/v1/account', error_rate: 1, statuses: [429] }]);
    const events: KnowBe4RequestEvent[] = [];
    const kb4 = client({ retry: { baseDelayMs: 1, maxDelayMs: 5, maxAttempts: 3 }, onRequest: (e) => events.push(e) });
    await expect(kb4.getAccount()).rejects.toBeInstanceOf(KnowBe4RateLimitError);
    expect(events.map((e) => e.outcome)).toEqual(['retry', 'retry', 'failure']);
  });

  it('retries 5xx until the account answers', async () => {
    await putFaults([{ path_prefix: '/v1/account', error_rate: 1, statuses: [500, 502, 503], times: 3 }]);
    const events: KnowBe4RequestEvent[] = [];
    const account = await client({ onRequest: (e) => events.push(e) }).getAccount();
    expect(account.name).toEqual(expect.any(String));
    expect(events.filter((e) => e.outcome === 'retry').map((e) => e.status)).toHaveLength(3);
    expect(events.at(-1)).toMatchObject({ status: 200, outcome: 'success', attempt: 4 });
  });

  it('exposes the upstream x-request-id and forwards ours', async () => {
    const events: KnowBe4RequestEvent[] = [];
    const kb4 = client({ onRequest: (e) => events.push(e) });
    await kb4.getAccount({ requestId: 'corr-123' });
    expect(kb4.lastRequestId).toEqual(expect.any(String));
    expect(events[0]).toMatchObject({ requestId: 'corr-123', upstreamRequestId: kb4.lastRequestId });
  });

  it('reads groups, members and training lists through the typed methods', async () => {
    const kb4 = client();
    const groups = await kb4.listGroups().toArray();
    expect(groups.length).toBeGreaterThan(0);
    const group = await kb4.getGroup(groups[0].id);
    expect(group.id).toBe(groups[0].id);
    const members = await kb4.listGroupMembers(group.id).toArray();
    expect(Array.isArray(members)).toBe(true);
    await expect(kb4.listTrainingCampaigns().toArray()).resolves.toEqual(expect.any(Array));
    const paged = await kb4.listEnrollments({ per_page: 500 }).toArray();
    const cursored = await kb4.listEnrollments({ mode: 'cursor', per_page: 500 }).toArray();
    expect(cursored.map((e) => e.enrollment_id).sort()).toEqual(paged.map((e) => e.enrollment_id).sort());
  });
});
