import { randomBytes, randomUUID } from 'node:crypto';
import { TOPICS, type CloudEventEnvelope } from '@kb4/contracts';
import { WorkspaceRepository } from '@kb4/persistence';
import { Webhook } from 'standardwebhooks';
import { call, createTenant, GatewayProcess, startGatewayProcess } from '../gateway/support/gateway-harness';
import { CREDENTIALS_KEY, PollerStack, sandboxCall, startPollerStack, syncAndWait, waitFor } from '../poller/support';
import { mapKafkaEvent } from '../../apps/webhook-dispatcher/src/events/webhook-event-mapping';
import { DispatcherProcess, Receiver, startDispatcherProcess, startReceiver } from './support';

interface WebhookBody {
  type: string;
  resource?: string;
  integrated_account_id: string;
  data: CloudEventEnvelope<Record<string, unknown>>;
}

const bodyOf = (request: { body: string }): WebhookBody => JSON.parse(request.body) as WebhookBody;

describe('webhooks: signed deliveries from the dispatcher', () => {
  let stack: PollerStack;
  let gateway: GatewayProcess;
  let strictGateway: GatewayProcess;
  let dispatcher: DispatcherProcess;
  let receiver: Receiver;
  let apiKey: string;
  let accountId: string;
  let dispatcherEnv: Record<string, string>;

  const api = (path: string, options: { method?: string; body?: unknown } = {}) => call(gateway.url, path, { apiKey, ...options });

  beforeAll(async () => {
    receiver = await startReceiver();
    stack = await startPollerStack({
      label: 'webhooks',
      sandboxTenant: { seed: 71, users: 20, region: 'us' },
      env: { POLL_INTERVAL_SECONDS: '3600' },
      connect: async (ready) => {
        ({ apiKey, accountId } = await createTenant(ready.database.url, CREDENTIALS_KEY, { reporting_api_key: ready.tenant.reporting_api_key, scim_token: ready.tenant.scim_token }));
        return accountId;
      },
    });
    const gatewayEnv = { DATABASE_URL: stack.database.url, CREDENTIALS_KEY, KAFKA_BROKERS: process.env.KAFKA_BROKERS!, KNOWBE4_BASE_URL_OVERRIDE: stack.sandbox.url, KNOWBE4_PACING: 'off', LOG_LEVEL: 'warn' };
    dispatcherEnv = {
      DATABASE_URL: stack.database.url,
      CREDENTIALS_KEY,
      KAFKA_BROKERS: process.env.KAFKA_BROKERS!,
      WEBHOOK_CONSUMER_GROUP: `webhooks-test-${randomBytes(4).toString('hex')}`,
      WEBHOOK_RETRY_SCHEDULE: '1s,1s,2s',
      WEBHOOK_TIMEOUT_MS: '2000',
      WEBHOOK_LEASE_SECONDS: '5',
      WEBHOOK_POLL_INTERVAL_MS: '200',
      WEBHOOK_SESSION_TIMEOUT_MS: '6000',
      WEBHOOK_HEARTBEAT_INTERVAL_MS: '1000',
      WEBHOOKS_ALLOW_HTTP: 'true',
      WEBHOOKS_ALLOW_PRIVATE: 'true',
      LOG_LEVEL: 'warn',
    };
    [gateway, strictGateway, dispatcher] = await Promise.all([
      startGatewayProcess({ ...gatewayEnv, WEBHOOKS_ALLOW_HTTP: 'true', WEBHOOKS_ALLOW_PRIVATE: 'true' }),
      startGatewayProcess({ ...gatewayEnv, WEBHOOKS_ALLOW_HTTP: 'true' }),
      startDispatcherProcess(dispatcherEnv),
    ]);
  });

  afterAll(async () => {
    await dispatcher?.stop();
    await gateway?.stop();
    await strictGateway?.stop();
    await stack?.stop();
    await receiver?.close();
  });

  it('refuses a webhook to http://127.0.0.1 without WEBHOOKS_ALLOW_PRIVATE, naming url', async () => {
    const refused = await call(strictGateway.url, '/webhooks', { apiKey, method: 'POST', body: { url: `${receiver.url}/hook` } });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(/^url must not point to a loopback address: 127\.0\.0\.1/);
    expect(refused.body.details).toEqual([expect.objectContaining({ field: 'url' })]);
    const metadata = await call(strictGateway.url, '/webhooks', { apiKey, method: 'POST', body: { url: 'http://169.254.169.254/latest/meta-data' } });
    expect(metadata.body.message).toMatch(/^url must not point to a link-local address/);
    expect((await call(strictGateway.url, '/webhooks', { apiKey })).body.result).toEqual([]);
  });

  it('validates the webhook API, naming the field, and keeps webhooks to their workspace and scope', async () => {
    const invalid = await api('/webhooks', { method: 'POST', body: { url: `${receiver.url}/x`, events: ['record:created', 'user.created'] } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.details).toEqual([expect.objectContaining({ field: 'events', location: 'body' })]);
    const foreignAccount = await api('/webhooks', { method: 'POST', body: { url: `${receiver.url}/x`, integrated_account_ids: [randomUUID()] } });
    expect(foreignAccount.status).toBe(400);
    expect(foreignAccount.body.message).toMatch(/^integrated_account_ids names accounts that are not in this workspace/);
    expect((await api('/webhooks', { method: 'POST', body: { url: 'ftp://example.com/x' } })).body.message).toMatch(/^url must be an http or https URL/);

    const created = await api('/webhooks', { method: 'POST', body: { url: `${receiver.url}/scoped`, events: ['operation:failed'] } });
    const id = created.body.id as string;
    const paused = await api(`/webhooks/${id}`, { method: 'PATCH', body: { status: 'disabled', events: null } });
    expect(paused.body).toMatchObject({ status: 'disabled', disabled_reason: 'disabled through the API', events: null });
    const rotated = await api(`/webhooks/${id}/rotate-secret`, { method: 'POST' });
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(created.body.secret);

    const stranger = await createTenant(stack.database.url, CREDENTIALS_KEY);
    expect((await call(gateway.url, `/webhooks/${id}`, { apiKey: stranger.apiKey })).status).toBe(404);
    expect((await call(gateway.url, `/webhooks/${id}/deliveries`, { apiKey: stranger.apiKey })).status).toBe(404);
    const dataSource = stack.dataSource;
    const [{ workspace_id: workspaceId }] = await dataSource.query(`SELECT workspace_id FROM integrated_accounts WHERE id = $1`, [accountId]);
    const { key: readOnly } = await new WorkspaceRepository(dataSource).issueApiKey(workspaceId, { label: 'read only', scopes: ['directory:read'] });
    const forbidden = await call(gateway.url, '/webhooks', { apiKey: readOnly });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.message).toContain('webhooks:manage');

    expect((await api(`/webhooks/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api(`/webhooks/${id}`)).status).toBe(404);
  });

  it('delivers record:created for a user made in the sandbox console, signed, retried after a 500', async () => {
    const created = await api('/webhooks', { method: 'POST', body: { url: `${receiver.url}/created`, description: 'new users', events: ['record:created'] } });
    expect(created.status).toBe(201);
    const { id: webhookId, secret } = created.body as { id: string; secret: string };
    expect(secret).toMatch(/^whsec_/);
    expect((await api(`/webhooks/${webhookId}`)).body).not.toHaveProperty('secret');
    receiver.answer = ({ path, seen }) => ({ status: path === '/created' && seen === 0 ? 500 : 200 });

    const email = `webhook.${randomBytes(3).toString('hex')}@example.com`;
    const user = (await sandboxCall(`${stack.sandbox.url}/_sandbox/tenants/${stack.tenant.id}/users`, 'POST', { email, first_name: 'Web', last_name: 'Hook' })) as { id: number };
    expect((await syncAndWait(stack.dataSource, accountId)).status).toBe('completed');

    const forUser = () => receiver.requests.filter((r) => r.path === '/created' && bodyOf(r).data.subject === `users/${user.id}`);
    const [first, second] = await waitFor('the retried delivery', async () => forUser().length >= 2 && forUser(), 60_000);
    expect([first.status, second.status]).toEqual([500, 200]);
    expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
    for (const request of [first, second]) {
      const verified = new Webhook(secret).verify(request.body, request.headers as Record<string, string>) as WebhookBody;
      expect(verified).toMatchObject({ type: 'record:created', resource: 'user', integrated_account_id: accountId });
      expect(verified.data).toMatchObject({ specversion: '1.0', type: 'knowbe4.user.created', subject: `users/${user.id}` });
    }
    expect(() => new Webhook(`whsec_${randomBytes(32).toString('base64')}`).verify(second.body, second.headers as Record<string, string>)).toThrow();
    // the filter holds: no record:updated or sync_job_run event reached this webhook
    expect(receiver.requests.filter((r) => r.path === '/created').every((r) => bodyOf(r).type === 'record:created')).toBe(true);

    const log = await waitFor('the delivery log to show the success', async () => {
      const page = await api(`/webhooks/${webhookId}/deliveries?limit=100`);
      const entry = page.body.result.find((d: { id: string }) => d.id === first.headers['webhook-id']);
      return entry?.status === 'succeeded' && entry;
    });
    expect(log).toMatchObject({ event_type: 'record:created', attempt_count: 2, next_attempt_at: null });
    expect(log.attempts.map((a: { response_status: number }) => a.response_status)).toEqual([500, 200]);
    expect(log.attempts[0].response_body).toBe('answered 500');

    const redelivered = await api(`/webhooks/${webhookId}/deliveries/${log.id}/redeliver`, { method: 'POST' });
    expect(redelivered.status).toBe(202);
    await waitFor('the manual redelivery', async () => forUser().length >= 3);
  });

  it('loses no delivery when the dispatcher is killed mid-burst, and keeps each record in order', async () => {
    const hook = await api('/webhooks', { method: 'POST', body: { url: `${receiver.url}/burst`, events: ['record:created', 'record:updated', 'record:deleted'], integrated_account_ids: [accountId] } });
    expect(hook.status).toBe(201);
    receiver.answer = ({ path }) => ({ status: 200, delayMs: path === '/burst' ? 15 : 0 });
    const burst = () => receiver.requests.filter((r) => r.path === '/burst');

    await sandboxCall(`${stack.sandbox.url}/_sandbox/tenants/${stack.tenant.id}/mutations`, 'POST', { seed: 5, count: 80 });
    const run = await syncAndWait(stack.dataSource, accountId);
    expect(run.status).toBe('completed');
    await waitFor('the burst to start arriving', async () => burst().length >= 5);
    await dispatcher.kill();
    const deliveredBeforeKill = burst().length;
    dispatcher = await startDispatcherProcess(dispatcherEnv);

    // every record event of the run (the outbox holds them in publishing order) must arrive at least once
    const events = await stack.dataSource.query<Array<{ message_key: string; payload: CloudEventEnvelope<Record<string, unknown>> }>>(
      `SELECT message_key, payload FROM outbox_events WHERE topic = $1 AND payload->'data'->>'sync_run_id' = $2 ORDER BY seq`,
      [TOPICS.directoryEvents, run.id],
    );
    const wanted = events.filter((row) => mapKafkaEvent(row.payload).events.some((m) => m.type.startsWith('record:')));
    expect(wanted.length).toBeGreaterThan(deliveredBeforeKill);
    await waitFor('every event of the burst delivered', async () => {
      const ids = new Set(burst().map((r) => bodyOf(r).data.id));
      return wanted.every((row) => ids.has(row.payload.id));
    }, 90_000);
    assertOrderedPerRecord(wanted.map((row) => ({ key: row.message_key, id: row.payload.id })), burst().map(bodyOf));
  });
});

/** For each Kafka key, the deliveries arrive in Kafka order (a redelivery of the latest one may repeat it). */
function assertOrderedPerRecord(kafkaOrder: Array<{ key: string; id: string }>, received: WebhookBody[]): void {
  const position = new Map<string, { key: string; index: number }>();
  const byKey = new Map<string, number>();
  for (const { key, id } of kafkaOrder) {
    const index = byKey.get(key) ?? 0;
    position.set(id, { key, index });
    byKey.set(key, index + 1);
  }
  const last = new Map<string, number>();
  for (const body of received) {
    const at = position.get(body.data.id);
    if (!at) continue;
    expect(at.index).toBeGreaterThanOrEqual(last.get(at.key) ?? 0);
    last.set(at.key, at.index);
  }
}
