import { TOPICS } from '@kb4/contracts';
import { metricsRegistry } from '@kb4/platform';
import { DataSource } from 'typeorm';
import type { RunningSandbox, TenantCredentials } from '../../apps/knowbe4-sandbox/src/sandbox';
import { call, createTenant, GatewayProcess, startGatewayProcess } from '../gateway/support/gateway-harness';
import { CREDENTIALS_KEY, PollerStack, runStatuses, sandboxCall, startPollerStack, syncAndWait, waitFor, waitForRun } from './support';

async function authFailuresCounted(): Promise<number> {
  const metric = await metricsRegistry.getSingleMetric('kb4_poller_accounts_auth_failed_total')?.get();
  return metric?.values[0]?.value ?? 0;
}

describe('poller: an account whose Reporting key KnowBe4 rejects (401)', () => {
  let stack: PollerStack | undefined;
  let sandbox: RunningSandbox;
  let tenant: TenantCredentials;
  let dataSource: DataSource;
  let gateway: GatewayProcess;
  let apiKey: string;
  let accountId: string;

  const accountStatus = async (): Promise<string> =>
    (await dataSource.query<Array<{ status: string }>>(`SELECT status FROM integrated_accounts WHERE id = $1`, [accountId]))[0].status;
  const gatewayCall = (path: string, options: { method?: string; body?: unknown } = {}) => call(gateway.url, path, { apiKey, ...options });
  /** Makes the account due for its next scheduled run (its last run started long ago). */
  const makeDue = () => dataSource.query(`UPDATE sync_runs SET started_at = now() - interval '1 day' WHERE account_id = $1`, [accountId]);

  beforeAll(async () => {
    stack = await startPollerStack({
      label: 'auth_failed',
      sandboxTenant: { seed: 61, users: 25, region: 'us' },
      env: { OUTBOX_RELAY_ENABLED: 'false', POLL_INTERVAL_SECONDS: '3600' },
      // a workspace with an API key too: the test also calls the gateway as that workspace
      connect: async (ready) => {
        ({ apiKey, accountId } = await createTenant(ready.database.url, CREDENTIALS_KEY, { reporting_api_key: ready.tenant.reporting_api_key, scim_token: ready.tenant.scim_token }));
        return accountId;
      },
    });
    ({ sandbox, tenant, dataSource } = stack);
    gateway = await startGatewayProcess({
      DATABASE_URL: stack.database.url,
      CREDENTIALS_KEY,
      KAFKA_BROKERS: process.env.KAFKA_BROKERS!,
      KNOWBE4_BASE_URL_OVERRIDE: sandbox.url,
      KNOWBE4_PACING: 'off',
      LOG_LEVEL: 'warn',
    });
    expect(stack.initial.status).toBe('completed');
  });

  afterAll(async () => {
    await gateway?.stop();
    await stack?.stop();
  });

  it('marks the account auth_failed once, stops scheduling it, and syncs again once the new key is given', async () => {
    const countedBefore = await authFailuresCounted();
    // the customer regenerates the Reporting key in the KnowBe4 console: the stored one answers 401 from now on
    const rotated = (await sandboxCall(`${sandbox.url}/_sandbox/tenants/${tenant.id}/credentials/rotate`, 'POST', { rotate: ['reporting'] })) as {
      reporting_api_key: string;
    };

    const failed = await syncAndWait(dataSource, accountId);
    const rejectedRun = failed.id;
    expect(failed.status).toBe('failed');
    expect(await accountStatus()).toBe('auth_failed');
    expect(await authFailuresCounted()).toBe(countedBefore + 1);
    const [{ payload }] = await dataSource.query<Array<{ payload: { data: { error: Record<string, unknown> } } }>>(
      `SELECT payload FROM outbox_events WHERE topic = $1 AND event_type = 'knowbe4.sync_run.failed' AND payload->'data'->>'sync_run_id' = $2`,
      [TOPICS.syncRuns, rejectedRun],
    );
    expect(payload.data.error).toMatchObject({ code: 'auth_error', status: 401, retryable: false });

    // due again, yet no run is queued: the scheduler skips it (an active account would get one within a tick)
    await makeDue();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await runStatuses(dataSource, accountId)).toHaveLength(2);

    // a run queued before the rejection was seen ends without asking KnowBe4, and is not counted again
    const skipped = await syncAndWait(dataSource, accountId);
    expect(skipped.error).toMatch(/re-verify or replace its credentials/);
    expect(await authFailuresCounted()).toBe(countedBefore + 1);

    // what the gateway shows, and what it refuses
    const shown = await gatewayCall(`/integrated-accounts/${accountId}`);
    expect(shown.body.status).toBe('auth_failed');
    const sync = await gatewayCall(`/integrated-accounts/${accountId}/sync`, { method: 'POST' });
    expect(sync.status).toBe(409);
    expect(sync.body.message).toMatch(/rejected this account's Reporting API key/);
    // re-activating checks the stored key again: still revoked, so it stays auth_failed
    const stillRejected = await gatewayCall(`/integrated-accounts/${accountId}`, { method: 'PATCH', body: { status: 'active' } });
    expect(stillRejected.status).toBe(422);
    expect(await accountStatus()).toBe('auth_failed');

    // the customer gives us the new key: verified, stored, and the account is active again
    const reconnected = await gatewayCall(`/integrated-accounts/${accountId}`, { method: 'PATCH', body: { reporting_api_key: rotated.reporting_api_key } });
    expect(reconnected.status).toBe(200);
    expect(reconnected.body.status).toBe('active');
    expect(JSON.stringify(reconnected.body)).not.toContain(rotated.reporting_api_key);

    // reconnecting queues a sync at once (no waiting for the interval), and it completes
    const resumed = await waitFor('the sync queued by the reconnect', async () => {
      const runs = await runStatuses(dataSource, accountId);
      return runs.length > 3 && runs[runs.length - 1];
    });
    expect((await waitForRun(dataSource, resumed.id)).status).toBe('completed');
    expect(await authFailuresCounted()).toBe(countedBefore + 1);
  });
});
