import { randomUUID } from 'node:crypto';
import { buildCloudEvent, integratedAccountSource, toKafkaMessage } from '@kb4/contracts';
import { CredentialCipher, createDataSource, WebhookDeliveryRepository, WebhookRepository, type WebhookSettings } from '@kb4/persistence';
import { createLogger } from '@kb4/platform';
import { DataSource } from 'typeorm';
import { DeliveryLogPruner } from '../../apps/webhook-dispatcher/src/delivery/delivery-log-pruner';
import { DeliveryWorker } from '../../apps/webhook-dispatcher/src/delivery/delivery-worker';
import { WebhookSender } from '../../apps/webhook-dispatcher/src/delivery/webhook-sender';
import { EventIngestor, type ConsumedMessage } from '../../apps/webhook-dispatcher/src/ingest/event-ingestor';
import { createTenant, migratedDatabase } from '../gateway/support/gateway-harness';
import { waitFor } from '../poller/support';
import type { ThrowawayDatabase } from '../support/throwaway-database';
import { Receiver, startReceiver } from './support';

const KEY = CredentialCipher.generateKey();
const cipher = new CredentialCipher(KEY);
const logger = createLogger('webhook-dispatcher-test', 'silent');
let offset = 0;

/** A Kafka message as the consumer hands it over, produced `producedAt`. */
function message(accountId: string, type: string, key: string, data: Record<string, unknown> = {}, producedAt = new Date()): ConsumedMessage & { eventId: string } {
  const eventId = randomUUID();
  const kafka = toKafkaMessage(buildCloudEvent({ id: eventId, type, source: integratedAccountSource(accountId), data: { integrated_account_id: accountId, ...data } }), key);
  return { ...kafka, topic: 'knowbe4.directory.events', partition: 0, offset: String(offset++), timestamp: String(producedAt.getTime()), eventId };
}

const settings = (url: string, extra: Partial<WebhookSettings> = {}): WebhookSettings => ({ url, description: '', events: null, integratedAccountIds: null, status: 'enabled', ...extra });

describe('webhook deliveries in Postgres: derived events, filters, leases, retries and automatic disabling', () => {
  let database: ThrowawayDatabase;
  let dataSource: DataSource;
  let webhooks: WebhookRepository;
  let ingestor: EventIngestor;
  let receiver: Receiver;
  let workspaceId: string;
  let accountId: string;
  const workers: DeliveryWorker[] = [];

  const deliveriesOf = (webhookId: string) =>
    dataSource.query<Array<{ event_type: string; status: string; attempt_count: number; record_key: string }>>(
      `SELECT event_type, status, attempt_count, record_key FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY seq`,
      [webhookId],
    );
  const startWorker = (schedule: number[], concurrency = 4, allowPrivate = true) => {
    const sender = new WebhookSender({ policy: { allowHttp: true, allowPrivate }, timeoutMs: 2_000, responseBodyLimit: 64 });
    const worker = new DeliveryWorker(new WebhookDeliveryRepository(dataSource), cipher, sender, { concurrency, pollIntervalMs: 50, leaseSeconds: 10, retrySchedule: schedule, disableAfterSeconds: 3600 }, logger);
    worker.start();
    workers.push(worker);
    return worker;
  };

  beforeAll(async () => {
    database = await migratedDatabase('kb4_webhook_store');
    dataSource = await createDataSource(database.url).initialize();
    ({ workspaceId, accountId } = await createTenant(database.url, KEY));
    webhooks = new WebhookRepository(dataSource, cipher);
    ingestor = new EventIngestor(dataSource, logger);
    receiver = await startReceiver();
  });

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop()));
  });

  afterAll(async () => {
    await receiver?.close();
    await dataSource?.destroy();
    await database?.drop();
  });

  it('sends integrated_account:authentication_error once per failure streak and reactivated on the next completed run, also when Kafka redelivers', async () => {
    const hook = await webhooks.create(workspaceId, settings(`${receiver.url}/auth`, { events: ['integrated_account:authentication_error', 'integrated_account:reactivated', 'sync_job_run:failed'] }), 'whsec_dGVzdHNlY3JldHRlc3RzZWNyZXQ=');
    const authError = { sync_run_id: 'r1', error: { code: 'auth_error', message: 'KnowBe4 answered 401', status: 401 } };
    const failedOnce = message(accountId, 'knowbe4.sync_run.failed', accountId, authError);
    const failedAgain = message(accountId, 'knowbe4.sync_run.failed', accountId, { ...authError, sync_run_id: 'r2' });
    const completed = message(accountId, 'knowbe4.sync_run.completed', accountId, { sync_run_id: 'r3' });
    await ingestor.ingest([failedOnce, failedAgain]);
    await ingestor.ingest([failedOnce, failedAgain, completed]); // redelivered after a crash before the offset commit
    expect((await deliveriesOf(hook.id)).map((d) => d.event_type)).toEqual([
      'sync_job_run:failed',
      'integrated_account:authentication_error',
      'sync_job_run:failed',
      'integrated_account:reactivated',
    ]);
  });

  it('stores roster_run:started, :completed and :failed for a webhook subscribed to them (knowbe4.roster.runs), nothing for one that is not', async () => {
    const hook = await webhooks.create(workspaceId, settings(`${receiver.url}/roster`, { events: ['roster_run:started', 'roster_run:completed', 'roster_run:failed'] }), 'whsec_dGVzdHNlY3JldHRlc3RzZWNyZXQ=');
    const unrelated = await webhooks.create(workspaceId, settings(`${receiver.url}/records`, { events: ['record:created'] }), 'whsec_dGVzdHNlY3JldHRlc3RzZWNyZXQ=');
    const run = (type: string, id: string) => ({ ...message(accountId, type, accountId, { roster_run_id: id, counts: { planned: 3, done: 0, failed: 0 } }), topic: 'knowbe4.roster.runs' });
    await ingestor.ingest([run('knowbe4.roster_run.started', 'run-1'), run('knowbe4.roster_run.completed', 'run-1'), run('knowbe4.roster_run.started', 'run-2'), run('knowbe4.roster_run.failed', 'run-2')]);
    expect((await deliveriesOf(hook.id)).map((d) => d.event_type)).toEqual(['roster_run:started', 'roster_run:completed', 'roster_run:started', 'roster_run:failed']);
    expect(await deliveriesOf(unrelated.id)).toEqual([]);
  });

  it('delivers an event produced in the very millisecond its webhook was created (Kafka timestamps are milliseconds)', async () => {
    const hook = await webhooks.create(workspaceId, settings(`${receiver.url}/same-ms`), 'whsec_dGVzdHNlY3JldHRlc3RzZWNyZXQ=');
    const [{ created_ms: createdMs }] = await dataSource.query<Array<{ created_ms: string }>>(
      `SELECT floor(extract(epoch FROM created_at) * 1000)::bigint::text AS created_ms FROM webhooks WHERE id = $1`,
      [hook.id],
    );
    await ingestor.ingest([message(accountId, 'knowbe4.user.created', `${accountId}:user:same-ms`, {}, new Date(Number(createdMs)))]);
    expect((await deliveriesOf(hook.id)).map((d) => d.event_type)).toEqual(['record:created']);
    await dataSource.query(`DELETE FROM webhooks WHERE id = $1`, [hook.id]);
  });

  it('stores a delivery only for enabled webhooks of the event\'s workspace whose filters match and that existed when the event was produced', async () => {
    const other = await createTenant(database.url, KEY);
    const before = new Date(Date.now() - 60_000);
    const all = await webhooks.create(workspaceId, settings(`${receiver.url}/all`), 'whsec_dGVzdHNlY3JldHRlc3RzZWNyZXQ=');
    const createdOnly = await webhooks.create(workspaceId, settings(`${receiver.url}/created`, { events: ['record:created'] }), 'whsec_dGVzdHNlY3JldHRlc3RzZWNyZXQ=');
    const otherAccount = await webhooks.create(workspaceId, settings(`${receiver.url}/other-account`, { integratedAccountIds: [randomUUID()] }), 'whsec_dGVzdHNlY3JldHRlc3RzZWNyZXQ=');
    const disabled = await webhooks.create(workspaceId, settings(`${receiver.url}/disabled`, { status: 'disabled' }), 'whsec_dGVzdHNlY3JldHRlc3RzZWNyZXQ=');
    const otherWorkspace = await webhooks.create(other.workspaceId, settings(`${receiver.url}/other-workspace`), 'whsec_dGVzdHNlY3JldHRlc3RzZWNyZXQ=');
    await ingestor.ingest([
      message(accountId, 'knowbe4.user.created', `${accountId}:user:1`),
      message(accountId, 'knowbe4.user.updated', `${accountId}:user:1`),
      message(accountId, 'knowbe4.training.enrollment_changed', `${accountId}:enrollment:1`),
      message(accountId, 'knowbe4.group.created', `${accountId}:group:7`, {}, before),
    ]);
    expect((await deliveriesOf(all.id)).map((d) => d.event_type)).toEqual(['record:created', 'record:updated']);
    expect((await deliveriesOf(createdOnly.id)).map((d) => d.event_type)).toEqual(['record:created']);
    for (const hook of [otherAccount, disabled, otherWorkspace]) expect(await deliveriesOf(hook.id)).toEqual([]);
    await dataSource.query(`DELETE FROM webhooks WHERE workspace_id = $1`, [workspaceId]);
  });

  it('two dispatchers send every delivery exactly once when all succeed, each record\'s deliveries in order', async () => {
    const hook = await webhooks.create(workspaceId, settings(`${receiver.url}/replicas`), 'whsec_dGVzdHNlY3JldHRlc3RzZWNyZXQ=');
    receiver.answer = () => ({ status: 204, delayMs: 5 });
    const messages = Array.from({ length: 60 }, (_, i) => message(accountId, 'knowbe4.user.updated', `${accountId}:user:${i % 4}`, { seq: i }));
    await ingestor.ingest(messages);
    startWorker([1], 8);
    startWorker([1], 8);
    const received = () => receiver.requests.filter((r) => r.path === '/replicas');
    await waitFor('every delivery', async () => (await deliveriesOf(hook.id)).every((d) => d.status === 'succeeded'));
    const ids = received().map((r) => r.headers['webhook-id']);
    expect(new Set(ids).size).toBe(60);
    expect(ids).toHaveLength(60);
    for (let record = 0; record < 4; record++) {
      const order = received().map((r) => JSON.parse(r.body)).filter((b) => b.data.data.seq % 4 === record).map((b) => b.data.data.seq);
      expect(order).toEqual([...order].sort((a, b) => a - b));
      expect(order).toHaveLength(15);
    }
  });

  it('gives a delivery up after the last retry and disables a webhook that never succeeded since; enabled again, it sends the held-back delivery and a redelivery', async () => {
    const hook = await webhooks.create(workspaceId, settings(`${receiver.url}/down`), 'whsec_dGVzdHNlY3JldHRlc3RzZWNyZXQ=');
    receiver.answer = ({ path }) => ({ status: path === '/down' ? 503 : 200 });
    await ingestor.ingest([message(accountId, 'knowbe4.user.created', `${accountId}:user:down`), message(accountId, 'knowbe4.user.updated', `${accountId}:user:down`)]);
    startWorker([0.2, 0.2]);
    const disabled = await waitFor('the webhook to be disabled', async () => {
      const row = await webhooks.find(workspaceId, hook.id);
      return row?.status === 'disabled' && row;
    });
    expect(disabled.disabled_reason).toMatch(/given up/);
    const [first, second] = await deliveriesOf(hook.id);
    expect(first).toMatchObject({ status: 'failed', attempt_count: 3 });
    // the second was never sent: the first held it back until it was given up, and by then the webhook was disabled
    expect(second).toMatchObject({ status: 'pending', attempt_count: 0 });
    const [log] = (await webhooks.listDeliveries(hook.id, { limit: 10, status: 'failed' })).rows;
    expect(log.attempts.map((a) => a.response_status)).toEqual([503, 503, 503]);
    expect(log.attempts[0].response_body).toBe('answered 503');

    // enabled again (the endpoint is back): the held-back delivery goes out, and a redelivery of the given-up one too
    receiver.answer = () => ({ status: 200 });
    await webhooks.update(workspaceId, hook.id, settings(`${receiver.url}/down`));
    const redelivered = await webhooks.redeliver(hook.id, log.id);
    expect(redelivered).toMatchObject({ status: 'pending' });
    await waitFor('both delivered', async () => (await deliveriesOf(hook.id)).every((d) => d.status === 'succeeded'));
    expect((await webhooks.find(workspaceId, hook.id))).toMatchObject({ status: 'enabled', disabled_reason: null, failing_since: null });
  });

  it('prunes finished deliveries past their retention, never pending ones', async () => {
    const hook = await webhooks.create(workspaceId, settings(`${receiver.url}/prune`, { status: 'disabled' }), 'whsec_dGVzdHNlY3JldHRlc3RzZWNyZXQ=');
    await dataSource.query(
      `INSERT INTO webhook_deliveries (webhook_id, event_type, event_id, record_key, payload, status, finished_at)
       VALUES ($1, 'record:created', 'old', 'k', '{}', 'succeeded', now() - interval '40 days'),
              ($1, 'record:created', 'recent', 'k', '{}', 'failed', now() - interval '1 day'),
              ($1, 'record:created', 'waiting', 'k', '{}', 'pending', NULL)`,
      [hook.id],
    );
    const pruner = new DeliveryLogPruner(new WebhookDeliveryRepository(dataSource), 30 * 86_400, logger);
    expect(await pruner.prune()).toBe(1);
    expect((await dataSource.query(`SELECT event_id FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY seq`, [hook.id])).map((r: { event_id: string }) => r.event_id)).toEqual(['recent', 'waiting']);
  });

  it('checks the target again at delivery: a loopback address or a host resolving to one is refused without a request, a redirect is a failure', async () => {
    const port = new URL(receiver.url).port;
    const literal = await webhooks.create(workspaceId, settings(`http://127.0.0.1:${port}/literal`), 'whsec_dGVzdHNlY3JldHRlc3RzZWNyZXQ=');
    const named = await webhooks.create(workspaceId, settings(`http://localhost:${port}/named`), 'whsec_dGVzdHNlY3JldHRlc3RzZWNyZXQ=');
    await ingestor.ingest([message(accountId, 'knowbe4.group.created', `${accountId}:group:ssrf`)]);
    startWorker([], 4, false);
    const attempts = async (webhookId: string) => (await webhooks.listDeliveries(webhookId, { limit: 5 })).rows[0]?.attempts ?? [];
    for (const hook of [literal, named]) {
      const [attempt] = await waitFor('the refused attempt', async () => (await attempts(hook.id)).length > 0 && attempts(hook.id));
      expect(attempt).toMatchObject({ response_status: null });
      expect(attempt.error).toContain('must not point to a loopback address');
    }
    expect(receiver.requests.filter((r) => r.path === '/literal' || r.path === '/named')).toEqual([]);
    await Promise.all(workers.splice(0).map((worker) => worker.stop()));

    const redirected = await webhooks.create(workspaceId, settings(`${receiver.url}/moved`), 'whsec_dGVzdHNlY3JldHRlc3RzZWNyZXQ=');
    receiver.answer = ({ path }) => ({ status: path === '/moved' ? 302 : 200 });
    await ingestor.ingest([message(accountId, 'knowbe4.group.updated', `${accountId}:group:moved`)]);
    startWorker([]);
    const [attempt] = await waitFor('the redirect answer', async () => (await attempts(redirected.id)).length > 0 && attempts(redirected.id));
    expect(attempt.response_status).toBe(302);
    expect((await deliveriesOf(redirected.id))[0]).toMatchObject({ status: 'failed', attempt_count: 1 });
    await dataSource.query(`DELETE FROM webhooks WHERE id = ANY($1::uuid[])`, [[literal.id, named.id, redirected.id]]);
  });
});
