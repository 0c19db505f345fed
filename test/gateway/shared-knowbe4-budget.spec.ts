import { Clock, DAY_MS, PacingLane, KnowBe4BudgetExhaustedError, ReportingClient, SharedRatePacerRegistry, SYNC_ACTIVE_MS, budgetKeyFor, windowsForProfile } from '@kb4/knowbe4';
import { CredentialCipher, createDataSource, IntegratedAccountRepository, RateBudgetRepository, SlotDecision } from '@kb4/persistence';
import { KnowBe4ClientFactory } from '../../apps/gateway/src/accounts/knowbe4-clients';
import { GatewayConfig } from '../../apps/gateway/src/config/gateway.config';
import type { DataSource } from 'typeorm';
import { RunningSandbox, startSandbox, TenantCredentials } from '../../apps/knowbe4-sandbox/src/sandbox';
import type { ThrowawayDatabase } from '../support/throwaway-database';
import { migratedDatabase } from './support/gateway-harness';

/** Virtual time both "processes" read; a sleep moves it forward instead of really waiting. */
class SteppingClock implements Clock {
  constructor(public current = Date.UTC(2025, 5, 1)) {}
  now(): number {
    return this.current;
  }
  sleep(ms: number): Promise<void> {
    this.current += Math.max(0, ms);
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

  const windows = windowsForProfile('documented');
  const take = (repository: RateBudgetRepository, budgetKey: string, now: number, lane: 'sync' | 'interactive' = 'interactive', dailyLimit?: number): Promise<SlotDecision> =>
    repository.take({ budgetKey, windows, dailyLimit, dailyWindowMs: DAY_MS, now, lane, syncReservedShare: 0.5, syncActiveMs: SYNC_ACTIVE_MS });

  it('never lets two processes together exceed 4 requests per second or 50 per rolling minute, and never takes a slot ahead', async () => {
    const a = new RateBudgetRepository(gatewaySide);
    const b = new RateBudgetRepository(pollerSide);
    const key = budgetKeyFor('us', 'key-one');
    let now = Date.UTC(2025, 5, 1);
    const times: number[] = [];
    while (times.length < 130) {
      // both sides ask at the same instant; whoever is refused learns when to ask again
      const decisions = await Promise.all([take(a, key, now), take(b, key, now), take(a, key, now)]);
      for (const decision of decisions) {
        if (decision.kind === 'taken') {
          expect(decision.at).toBe(now);
          times.push(decision.at);
        }
      }
      if (decisions.every((d) => d.kind === 'wait')) now = Math.min(...decisions.map((d) => (d.kind === 'wait' ? d.at : Infinity)));
    }
    times.sort((x, y) => x - y);
    expect(maxInAnyWindow(times, 1000)).toBe(4);
    expect(maxInAnyWindow(times, 60_000)).toBe(50);
    // the 51st request of the account waits for the first to leave the rolling minute, whichever side sends it
    expect(times[50] - times[0]).toBeGreaterThanOrEqual(60_000);
  });

  it('keeps one daily budget for both sides, refuses with the resume time, and reopens a day later', async () => {
    const a = new RateBudgetRepository(gatewaySide);
    const b = new RateBudgetRepository(pollerSide);
    const key = budgetKeyFor('eu', 'key-two');
    const firstAt = Date.UTC(2025, 5, 1);
    let now = firstAt;
    for (let i = 0; i < 30; i++, now += 1500) expect(await take(i < 20 ? a : b, key, now, 'sync', 30)).toMatchObject({ kind: 'taken' });
    for (const side of [a, b]) expect(await take(side, key, now, 'sync', 30)).toEqual({ kind: 'exhausted', resumeAt: firstAt + DAY_MS, dailyLimit: 30 });
    expect(await take(b, key, firstAt + DAY_MS, 'sync', 30)).toMatchObject({ kind: 'taken' });
    expect(await a.dailyUsage(key)).toMatchObject({ used: 1 });
  });

  it('keeps accounts apart and stores only a hash of the key', async () => {
    const repository = new RateBudgetRepository(gatewaySide);
    const now = Date.UTC(2025, 5, 1);
    for (const secret of ['secret-key-three', 'secret-key-four']) {
      const decisions = await Promise.all(Array.from({ length: 4 }, () => take(repository, budgetKeyFor('ca', secret), now)));
      expect(decisions.map((d) => d.kind)).toEqual(['taken', 'taken', 'taken', 'taken']);
    }
    const dump = JSON.stringify(await gatewaySide.query(`SELECT * FROM knowbe4_rate_budgets`));
    expect(dump).not.toContain('secret-key');
  });

  it('holds interactive callers to half of every window while a sync is running, and gives them all of it once the sync is quiet', async () => {
    const gateway = new RateBudgetRepository(gatewaySide);
    const poller = new RateBudgetRepository(pollerSide);
    const key = budgetKeyFor('us', 'key-lanes');
    const start = Date.UTC(2025, 5, 1);
    const taken = { sync: 0, interactive: 0 };
    // for a minute the sync asks once a second while interactive callers take whatever they are allowed
    for (let second = 0; second < 60; second++) {
      const now = start + second * 1000;
      if ((await take(poller, key, now, 'sync')).kind === 'taken') taken.sync += 1;
      while ((await take(gateway, key, now, 'interactive')).kind === 'taken') taken.interactive += 1;
    }
    expect(taken.interactive).toBe(25);
    expect(taken.sync).toBe(25);
    // a second with the sync quiet for longer than SYNC_ACTIVE_MS: interactive callers get every slot of it
    const later = start + 10 * 60_000;
    let burst = 0;
    while ((await take(gateway, key, later, 'interactive')).kind === 'taken') burst += 1;
    expect(burst).toBe(4);
  });

  it("always leaves syncs their share of the day: interactive callers stop at half of it, a sync may use the rest", async () => {
    const gateway = new RateBudgetRepository(gatewaySide);
    const poller = new RateBudgetRepository(pollerSide);
    const key = budgetKeyFor('us', 'key-daily-share');
    const start = Date.UTC(2025, 5, 1);
    let now = start;
    for (let i = 0; i < 5; i++, now += 2000) expect(await take(gateway, key, now, 'interactive', 10)).toMatchObject({ kind: 'taken' });
    expect(await take(gateway, key, now, 'interactive', 10)).toEqual({ kind: 'exhausted', resumeAt: start + DAY_MS, dailyLimit: 5 });
    for (let i = 0; i < 5; i++, now += 2000) expect(await take(poller, key, now, 'sync', 10)).toMatchObject({ kind: 'taken' });
    expect(await take(poller, key, now, 'sync', 10)).toEqual({ kind: 'exhausted', resumeAt: start + DAY_MS, dailyLimit: 10 });
    expect(await poller.dailyUsage(key)).toMatchObject({ used: 10, interactiveUsed: 5 });
  });

  it('gives back a slot no request was sent for: the day is not charged and the slot is free again', async () => {
    const gateway = new RateBudgetRepository(gatewaySide);
    const key = budgetKeyFor('us', 'key-give-back');
    const now = Date.UTC(2025, 5, 1);
    for (let i = 0; i < 4; i++) expect(await take(gateway, key, now, 'interactive', 100)).toEqual({ kind: 'taken', at: now });
    expect(await take(gateway, key, now, 'interactive', 100)).toMatchObject({ kind: 'wait', at: now + 1000 });
    await gateway.giveBack({ budgetKey: key, lane: 'interactive', at: now });
    expect(await gateway.dailyUsage(key)).toMatchObject({ used: 3, interactiveUsed: 3 });
    expect(await take(gateway, key, now, 'interactive', 100)).toEqual({ kind: 'taken', at: now });
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

    it('counts the calls of two clients in two processes against one daily budget and stops both at their limit', async () => {
      const clock = new SteppingClock();
      const client = (dataSource: DataSource, lane: PacingLane): ReportingClient =>
        new ReportingClient({
          region: 'us',
          apiKey: tenant.reporting_api_key,
          baseUrlOverride: sandbox.url,
          pacer: 'documented',
          pacerRegistry: new SharedRatePacerRegistry(new RateBudgetRepository(dataSource), { dailyLimit: 6 }),
          pacing: { lane },
          clock,
          retry: { maxAttempts: 1 },
        });
      const gatewayClient = client(gatewaySide, 'interactive');
      const pollerClient = client(pollerSide, 'sync');
      for (let i = 0; i < 3; i++) await gatewayClient.getAccount();
      // the interactive half of the day is spent; the poller's sync lane still has the other half
      await expect(gatewayClient.getAccount()).rejects.toBeInstanceOf(KnowBe4BudgetExhaustedError);
      for (let i = 0; i < 3; i++) await pollerClient.getAccount();
      await expect(pollerClient.getUser(1)).rejects.toBeInstanceOf(KnowBe4BudgetExhaustedError);
      expect(await new RateBudgetRepository(pollerSide).dailyUsage(budgetKeyFor('us', tenant.reporting_api_key))).toMatchObject({ used: 6, interactiveUsed: 3 });
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
