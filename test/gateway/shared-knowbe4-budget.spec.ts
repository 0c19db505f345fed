import { Clock, KnowBe4BudgetExhaustedError, ReportingClient, SharedRatePacerRegistry, budgetKeyFor } from '@kb4/knowbe4';
import { CredentialCipher, createDataSource, IntegratedAccountRepository, RateBudgetRepository } from '@kb4/persistence';
import { KnowBe4ClientFactory } from '../../apps/gateway/src/accounts/knowbe4-clients';
import { GatewayConfig } from '../../apps/gateway/src/config/gateway.config';
import type { DataSource } from 'typeorm';
import { RunningSandbox, startSandbox, TenantCredentials } from '../../apps/knowbe4-sandbox/src/sandbox';
import type { ThrowawayDatabase } from '../support/throwaway-database';
import { migratedDatabase } from './support/gateway-harness';

/** Virtual time both "processes" read; sleeping never really waits (the reserved slot time is what counts). */
class FrozenClock implements Clock {
  constructor(public current = Date.UTC(2025, 5, 1)) {}
  now(): number {
    return this.current;
  }
  sleep(): Promise<void> {
    return Promise.resolve();
  }
}

function maxInAnyWindow(sortedTimes: number[], windowMs: number): number {
  let max = 0;
  let j = 0;
  for (let i = 0; i < sortedTimes.length; i++) {
    while (j < sortedTimes.length && sortedTimes[j] < sortedTimes[i] + windowMs) j++;
    max = Math.max(max, j - i);
  }
  return max;
}

/**
 * KnowBe4 budgets shared through Postgres: two pacers on two DataSources (as the gateway and the poller would
 * hold) draw from one budget per account, so together they stay within 4/s, 50 per rolling minute and the day.
 */
describe('shared KnowBe4 rate budget (Postgres, two DataSources)', () => {
  let database: ThrowawayDatabase;
  let gatewaySide: DataSource;
  let pollerSide: DataSource;

  beforeAll(async () => {
    database = await migratedDatabase('gw_budget');
    gatewaySide = await createDataSource(database.url, { extra: { max: 4 } }).initialize();
    pollerSide = await createDataSource(database.url, { extra: { max: 4 } }).initialize();
  });

  afterAll(async () => {
    await gatewaySide?.destroy();
    await pollerSide?.destroy();
    await database?.drop();
  });

  it('never lets two processes together exceed 4 requests per second or 50 per rolling minute', async () => {
    const clock = new FrozenClock();
    const a = new SharedRatePacerRegistry(new RateBudgetRepository(gatewaySide), { clock }).pacerFor('us', 'key-one');
    const b = new SharedRatePacerRegistry(new RateBudgetRepository(pollerSide), { clock }).pacerFor('us', 'key-one');
    // concurrent reservations from both sides, interleaved; each send time is now + the wait it was given
    const waits = await Promise.all(Array.from({ length: 130 }, (_, i) => (i % 2 === 0 ? a : b).reserve()));
    const times = waits.map((wait) => clock.now() + wait).sort((x, y) => x - y);
    expect(times).toHaveLength(130);
    expect(maxInAnyWindow(times, 1000)).toBe(4);
    expect(maxInAnyWindow(times, 60_000)).toBe(50);
    // the 51st request of the account waits for the first to leave the rolling minute, whichever side sends it
    expect(times[50] - times[0]).toBeGreaterThanOrEqual(60_000);
  });

  it('keeps one daily budget for both sides, refuses with the resume time, and reopens a day later', async () => {
    const clock = new FrozenClock();
    const options = { clock, dailyLimit: 30 };
    const a = new SharedRatePacerRegistry(new RateBudgetRepository(gatewaySide), options).pacerFor('eu', 'key-two');
    const b = new SharedRatePacerRegistry(new RateBudgetRepository(pollerSide), options).pacerFor('eu', 'key-two');
    const firstAt = clock.now();
    for (let i = 0; i < 20; i++) await a.reserve();
    for (let i = 0; i < 10; i++) await b.reserve();
    for (const pacer of [a, b]) {
      const refused = await pacer.reserve().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(KnowBe4BudgetExhaustedError);
      expect((refused as KnowBe4BudgetExhaustedError).resumeAt.getTime()).toBe(firstAt + 24 * 3600 * 1000);
    }
    clock.current = firstAt + 24 * 3600 * 1000;
    await expect(b.reserve()).resolves.toBeGreaterThanOrEqual(0);
    expect(await new RateBudgetRepository(gatewaySide).dailyUsage(budgetKeyFor('eu', 'key-two'))).toMatchObject({ used: 1 });
  });

  it('keeps accounts apart and stores only a hash of the key', async () => {
    const clock = new FrozenClock();
    const registry = new SharedRatePacerRegistry(new RateBudgetRepository(gatewaySide), { clock });
    const first = await Promise.all(Array.from({ length: 4 }, () => registry.pacerFor('ca', 'secret-key-three').reserve()));
    const other = await Promise.all(Array.from({ length: 4 }, () => registry.pacerFor('ca', 'secret-key-four').reserve()));
    expect([...first, ...other]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    const dump = JSON.stringify(await gatewaySide.query(`SELECT * FROM knowbe4_rate_budgets`));
    expect(dump).not.toContain('secret-key');
  });

  describe('ReportingClient wired to the shared registry', () => {
    let sandbox: RunningSandbox;
    let tenant: TenantCredentials;

    beforeAll(async () => {
      sandbox = await startSandbox({ port: 0, rateLimitProfile: 'off' });
      tenant = sandbox.createTenant({ seed: 11, users: 5, region: 'us', rate_limit_profile: 'off' });
    });

    afterAll(async () => {
      await sandbox?.close();
    });

    it('counts the calls of two clients in two processes against one daily budget and stops both at the limit', async () => {
      const clock = new FrozenClock();
      const client = (dataSource: DataSource): ReportingClient =>
        new ReportingClient({
          region: 'us',
          apiKey: tenant.reporting_api_key,
          baseUrlOverride: sandbox.url,
          pacer: 'documented',
          pacerRegistry: new SharedRatePacerRegistry(new RateBudgetRepository(dataSource), { dailyLimit: 5 }),
          clock,
          retry: { maxAttempts: 1 },
        });
      const gatewayClient = client(gatewaySide);
      const pollerClient = client(pollerSide);
      for (let i = 0; i < 3; i++) await gatewayClient.getAccount();
      for (let i = 0; i < 2; i++) await pollerClient.getAccount();
      await expect(gatewayClient.getAccount()).rejects.toBeInstanceOf(KnowBe4BudgetExhaustedError);
      await expect(pollerClient.getUser(1)).rejects.toBeInstanceOf(KnowBe4BudgetExhaustedError);
      expect(await new RateBudgetRepository(pollerSide).dailyUsage(budgetKeyFor('us', tenant.reporting_api_key))).toMatchObject({ used: 5 });
    });

    it("charges the gateway's credential check to the account's shared budget", async () => {
      const other = sandbox.createTenant({ seed: 12, users: 3, region: 'us', rate_limit_profile: 'off' });
      const cipher = new CredentialCipher(CredentialCipher.generateKey());
      const config = Object.assign(new GatewayConfig(), { KNOWBE4_BASE_URL_OVERRIDE: sandbox.url, KNOWBE4_PACING: 'documented' as const });
      const factory = new KnowBe4ClientFactory(config, new IntegratedAccountRepository(gatewaySide, cipher), new SharedRatePacerRegistry(new RateBudgetRepository(gatewaySide)));
      const verified = await factory.verify({ region: 'us', reporting_api_key: other.reporting_api_key, scim_token: other.scim_token });
      expect(verified.reporting.ok && verified.scim.ok).toBe(true);
      expect(await new RateBudgetRepository(pollerSide).dailyUsage(budgetKeyFor('us', other.reporting_api_key))).toMatchObject({ used: 1 });
    });
  });
});
