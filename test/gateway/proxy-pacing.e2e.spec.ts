import { INestApplicationContext } from '@nestjs/common';
import { budgetKeyFor, SYNC_ACTIVE_MS } from '@kb4/knowbe4';
import type { Pool } from 'pg';
import { RunningSandbox, startSandbox, TenantCredentials } from '../../apps/knowbe4-sandbox/src/sandbox';
import { CREDENTIALS_KEY, pollerEnv, startPollerInProcess, waitFor } from '../poller/support';
import type { ThrowawayDatabase } from '../support/throwaway-database';
import { call, createTenant, GatewayProcess, migratedDatabase, poolFor, startGatewayProcess, Tenant } from './support/gateway-harness';

const MAX_QUEUE_WAIT_MS = 3000;
/** The fair-share test's clock (gateway and poller): see below. */
const SCALE = 5;

type ProxyAnswer = { status: number; retryAfter: string | null; body: Record<string, unknown> } | { aborted: true };

/** One proxy call of the account's GET /account; `abortAfterMs` plays a client that gives up and hangs up. */
async function proxyCall(gateway: GatewayProcess, tenant: Tenant, abortAfterMs?: number): Promise<ProxyAnswer> {
  try {
    const response = await fetch(`${gateway.url}/proxy/${tenant.accountId}/reporting/account`, {
      headers: { authorization: `Bearer ${tenant.apiKey}` },
      signal: abortAfterMs === undefined ? undefined : AbortSignal.timeout(abortAfterMs),
    });
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Record<string, unknown> };
  } catch (error) {
    if ((error as Error).name === 'TimeoutError' || (error as Error).name === 'AbortError') return { aborted: true };
    throw error;
  }
}

const answered = (answers: ProxyAnswer[], status: number) => answers.filter((a): a is Exclude<ProxyAnswer, { aborted: true }> => 'status' in a && a.status === status);

async function dailyUsage(pool: Pool, apiKey: string): Promise<{ used: number; interactive: number }> {
  const { rows } = await pool.query<{ used: number; interactive: number }>(
    `SELECT daily_used AS used, interactive_used AS interactive FROM knowbe4_rate_budgets WHERE budget_key = $1`,
    [budgetKeyFor('us', apiKey)],
  );
  return rows[0] ?? { used: 0, interactive: 0 };
}

/**
 * The day's usage once the pacer has settled: a slot taken at the moment its caller's bound ran out is handed back
 * just after that caller got its 429, so a read right after the last answer can still see it.
 */
async function settledUsage(pool: Pool, apiKey: string): Promise<{ used: number; interactive: number }> {
  let last = await dailyUsage(pool, apiKey);
  for (let round = 0; round < 20; round++) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const next = await dailyUsage(pool, apiKey);
    if (next.used === last.used && next.interactive === last.interactive) return next;
    last = next;
  }
  return last;
}

/**
 * Issue 10, finding 4: the shared KnowBe4 pacer queued without bound (104 of 120 proxy calls hung, slots reserved
 * 139 s ahead, budget spent for abandoned calls, a second workspace on the same tenant starved). One gateway process
 * with KnowBe4's documented pacing (4/s, 50/min) against the sandbox.
 */
describe('proxy pacing: bounded waits, released slots, fair shares (gateway process + sandbox)', () => {
  let database: ThrowawayDatabase;
  let pool: Pool;
  let sandbox: RunningSandbox;
  let gateway: GatewayProcess;
  /** The same gateway at TIME_SCALE (windows, the sync's running period and the wait bound all compressed). */
  let scaledGateway: GatewayProcess;

  const kb4Tenant = (seed: number): TenantCredentials => sandbox.createTenant({ seed, users: 5, region: 'us', rate_limit_profile: 'off' });
  const workspaceOn = (kb4: TenantCredentials): Promise<Tenant> =>
    createTenant(database.url, CREDENTIALS_KEY, { reporting_api_key: kb4.reporting_api_key, scim_token: kb4.scim_token });

  beforeAll(async () => {
    database = await migratedDatabase('gw_pacing');
    pool = poolFor(database.url);
    sandbox = await startSandbox({ port: 0, rateLimitProfile: 'off' });
    const gatewayEnv = (scale: number): Record<string, string> => ({
      DATABASE_URL: database.url,
      CREDENTIALS_KEY,
      KAFKA_BROKERS: process.env.KAFKA_BROKERS!,
      KNOWBE4_BASE_URL_OVERRIDE: sandbox.url,
      KNOWBE4_PACING: 'documented',
      KNOWBE4_MAX_QUEUE_WAIT_MS: String(MAX_QUEUE_WAIT_MS / scale),
      TIME_SCALE: String(scale),
      LOG_LEVEL: 'warn',
    });
    // both start together: a gateway's start is tens of seconds of a loaded machine
    [gateway, scaledGateway] = await Promise.all([startGatewayProcess(gatewayEnv(1)), startGatewayProcess(gatewayEnv(SCALE))]);
  });

  afterAll(async () => {
    await gateway?.stop();
    await scaledGateway?.stop();
    await sandbox?.close();
    await pool?.end();
    await database?.drop();
  });

  it('answers callers past the bound 429 with retry-after, frees the slots of callers that hung up, and charges only requests sent', async () => {
    const kb4 = kb4Tenant(401);
    const workspace = await workspaceOn(kb4);
    // 20 patient callers, then 20 that hang up after 1 s (queued behind the first 20, they never reach a slot)
    const patient = Array.from({ length: 20 }, () => proxyCall(gateway, workspace));
    const impatient = Array.from({ length: 20 }, () => proxyCall(gateway, workspace, 1000));
    const [patientAnswers, impatientAnswers] = await Promise.all([Promise.all(patient), Promise.all(impatient)]);

    expect(impatientAnswers.every((a) => 'aborted' in a)).toBe(true);
    const ok = answered(patientAnswers, 200);
    const refused = answered(patientAnswers, 429);
    expect(ok.length + refused.length).toBe(20);
    // 4 per second fit into the bound of 3 s (now, +1 s, +2 s, +3 s): at most 16, never all 20
    expect(ok.length).toBeGreaterThanOrEqual(4);
    expect(refused.length).toBeGreaterThanOrEqual(4);
    for (const answer of refused) {
      expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(answer.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests', truto_error_insight: 'rate_limit_error' });
      expect(answer.body.request_id).toEqual(expect.any(String));
      // our own pacing refused it; KnowBe4 never saw the request
      expect(answer.body).not.toHaveProperty('truto_is_remote_error');
      expect(answer.body).not.toHaveProperty('raw_response');
    }

    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    const counted = (outcome: string): number => Number(new RegExp(`kb4_gateway_knowbe4_pacing_total\\{outcome="${outcome}"[^}]*\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
    // operators see both kinds of calls that were never sent
    expect(counted('queue_timeout')).toBe(refused.length);
    const gone = counted('caller_gone');
    expect(gone).toBeGreaterThan(0);
    // Only requests sent to KnowBe4 count against the day: the answered ones, plus any of the 20 that hung up only
    // after their request was sent (possible on a loaded machine, where arrival order is not call order) — never
    // one the gateway counted as gone, nor a refused one. Unloaded, gone is 20 and used equals ok.length.
    const usage = await settledUsage(pool, kb4.reporting_api_key);
    expect(usage.used).toBe(usage.interactive);
    expect(usage.used).toBeGreaterThanOrEqual(ok.length);
    expect(usage.used - ok.length).toBeLessThanOrEqual(20 - gone);
    // and nothing was reserved ahead: no slot lies in the future
    const { rows } = await pool.query<{ latest: string }>(`SELECT max(slot_ms)::text AS latest FROM knowbe4_rate_slots WHERE budget_key = $1`, [
      budgetKeyFor('us', kb4.reporting_api_key),
    ]);
    expect(Number(rows[0].latest)).toBeLessThanOrEqual(Date.now());
    // the queue is empty again: the next caller is answered
    expect(answered([await proxyCall(gateway, workspace)], 200)).toHaveLength(1);
  });

  it("serves a second workspace on the same KnowBe4 tenant while the first one floods it", async () => {
    const kb4 = kb4Tenant(402);
    const flooder = await workspaceOn(kb4);
    const neighbour = await workspaceOn(kb4);
    const flood = Array.from({ length: 30 }, () => proxyCall(gateway, flooder));
    await new Promise((resolve) => setTimeout(resolve, 300)); // the flood is queued (and its first 4 answered)
    const neighbourAnswers = await Promise.all(Array.from({ length: 3 }, () => proxyCall(gateway, neighbour)));
    const floodAnswers = await Promise.all(flood);

    // the flood exceeded its own bound, the neighbour did not wait behind it
    expect(answered(floodAnswers, 429).length).toBeGreaterThan(0);
    expect(neighbourAnswers.map((a) => ('status' in a ? a.status : 'aborted'))).toEqual([200, 200, 200]);
    expect((await settledUsage(pool, kb4.reporting_api_key)).used).toBe(answered(floodAnswers, 200).length + 3);
  });

  /**
   * The fair share is proved over KnowBe4's minute, which a flood fills in seconds and the sync then waits out: in real
   * time that is a minute or more of waiting. Here the gateway and the poller share TIME_SCALE (as in fleet benches):
   * both compress the same windows (a second lasts 200 ms, a minute 12 s, a sync counts as running for 2 s after its
   * last ask) on the one budget in Postgres, which enforces them whatever the load. The bounded waits above stay real.
   */
  describe('with a poller syncing the same tenant (gateway and poller at TIME_SCALE 5)', () => {
    const SECOND_MS = 1000 / SCALE;
    const MINUTE_MS = 60_000 / SCALE;
    let poller: INestApplicationContext | undefined;

    afterAll(async () => {
      await poller?.close();
    });

    type SlotRow = { at: number; lane: 'sync' | 'interactive' };

    it("keeps the sync's share while a proxy flood runs: the flood never takes more than half of any second or minute", async () => {
      const kb4 = sandbox.createTenant({ seed: 403, users: 40, region: 'us', rate_limit_profile: 'off' });
      const workspace = await workspaceOn(kb4);
      const budgetKey = budgetKeyFor('us', kb4.reporting_api_key);
      poller = await startPollerInProcess(
        pollerEnv(database.url, sandbox.url, {
          KNOWBE4_RATE_PROFILE: 'documented',
          KNOWBE4_SHARED_BUDGET: 'true',
          OUTBOX_RELAY_ENABLED: 'false',
          SYNC_PER_PAGE: '10',
          SYNC_SCHEDULER_TICK_MS: '100',
          TIME_SCALE: String(SCALE),
        }),
      );
      type Run = { id: string; status: string; requests: number; started: number; finished: number | null };
      const runsOf = async (): Promise<Run[]> =>
        (
          await pool.query<Run>(
            `SELECT id, status, requests, (extract(epoch FROM started_at) * 1000)::float8 AS started, (extract(epoch FROM finished_at) * 1000)::float8 AS finished
               FROM sync_runs WHERE account_id = $1 ORDER BY started_at`,
            [workspace.accountId],
          )
        ).rows;

      // the baseline: the account's first sync, alone
      const baseline = await waitFor('the baseline run', async () => (await runsOf()).find((r) => r.status === 'completed' || r.status === 'failed'), 90_000);
      expect(baseline.status).toBe('completed');
      await new Promise((resolve) => setTimeout(resolve, SYNC_ACTIVE_MS / SCALE + SECOND_MS)); // the sync no longer counts as running

      // a steady flood: 12 callers, each asking again as soon as it is answered, until the sync is done
      let flooding = true;
      const floodAnswers: ProxyAnswer[] = [];
      const flood = Array.from({ length: 12 }, async () => {
        while (flooding) floodAnswers.push(await proxyCall(scaledGateway, workspace));
      });
      await waitFor('the flood to fill the account', async () => answered(floodAnswers, 200).length >= 8);
      const queued = await call(scaledGateway.url, `/integrated-accounts/${workspace.accountId}/sync`, { apiKey: workspace.apiKey, method: 'POST' });
      expect(queued.status).toBe(202);
      const run = await waitFor('the run under the flood', async () => {
        const found = (await runsOf()).find((r) => r.id === queued.body.id && ['completed', 'failed'].includes(r.status));
        return found;
      }, 120_000);
      flooding = false;
      await Promise.all(flood);
      const { rows } = await pool.query<SlotRow>(`SELECT slot_ms::float8 AS at, lane FROM knowbe4_rate_slots WHERE budget_key = $1 ORDER BY slot_ms`, [budgetKey]);

      expect(run.status).toBe('completed');
      expect(run.requests).toBe(baseline.requests); // the same work as alone
      const syncSlots = rows.filter((r) => r.lane === 'sync' && r.at >= run.started);
      const firstSync = syncSlots[0].at;
      const lastSync = syncSlots[syncSlots.length - 1].at;
      const interactive = rows.filter((r) => r.lane === 'interactive');
      const duringRun = interactive.filter((r) => r.at > firstSync && r.at <= lastSync);
      // every flood request taken while the sync ran left the sync its half: ≤ 2 in its second, ≤ 25 in its minute
      for (const slot of duringRun) {
        expect(interactive.filter((r) => r.at > slot.at - SECOND_MS && r.at <= slot.at).length).toBeLessThanOrEqual(2);
        expect(interactive.filter((r) => r.at > slot.at - MINUTE_MS && r.at <= slot.at).length).toBeLessThanOrEqual(25);
      }
      // the flood kept being served meanwhile (interleaved, not queued in front of or behind the sync)
      expect(duringRun.length).toBeGreaterThan(0);
      process.stdout.write(
        `pacing e2e: baseline run ${baseline.requests} requests in ${Math.round((baseline.finished ?? 0) - baseline.started)} ms; ` +
          `under flood ${run.requests} requests in ${Math.round((run.finished ?? 0) - run.started)} ms, ${syncSlots.length} sync / ${duringRun.length} flood slots while it ran; ` +
          `flood answers ${answered(floodAnswers, 200).length}×200 ${answered(floodAnswers, 429).length}×429\n`,
      );
    }, 240_000);
  });
});
