import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { TOPICS } from '@kb4/contracts';
import { CredentialCipher, createDataSource, OperationRepository, OutboxRepository } from '@kb4/persistence';
import { metricsRegistry } from '@kb4/platform';
import type { ThrowawayDatabase } from '../support/throwaway-database';
import { OperationReconciler } from '../../apps/gateway/src/provisioning/operation-reconciler';
import { commandMessage, createUserIntent, storedRequestOf } from '../../apps/gateway/src/provisioning/write-intents';
import { createTenant, migratedDatabase, Tenant } from './support/gateway-harness';

/**
 * The operation reconciler against a real Postgres: what it re-publishes (stalled operations, from their stored
 * request), what it leaves alone (progressing, finished, or still waiting in the outbox), its per-operation
 * backoff, and that one scan runs per database at a time.
 */
const STALL_SECONDS = 1;

describe('operation reconciler (Postgres)', () => {
  let database: ThrowawayDatabase;
  let dataSource: DataSource;
  let operations: OperationRepository;
  let tenant: Tenant;
  let nudges = 0;
  let reconciler: OperationReconciler;

  beforeAll(async () => {
    database = await migratedDatabase('kb4_test_reconciler');
    tenant = await createTenant(database.url, CredentialCipher.generateKey());
    dataSource = await createDataSource(database.url).initialize();
    operations = new OperationRepository(dataSource);
    reconciler = new OperationReconciler(operations, new OutboxRepository(dataSource), { nudge: () => void nudges++ }, {
      OPERATION_STALL_SECONDS: STALL_SECONDS,
      OPERATION_RECONCILE_INTERVAL_SECONDS: 0,
      LOG_LEVEL: 'silent',
    });
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  /** An accepted create as the gateway records it; `relayed` marks its command published (to a broker since lost). */
  async function accepted(userName: string, options: { relayed: boolean; stalledFor?: number; status?: string }): Promise<string> {
    const intent = createUserIntent(tenant.accountId, { username: userName }, '/unified/user-directory/users');
    const { operation } = await operations.recordWithCommand(
      { id: randomUUID(), workspaceId: tenant.workspaceId, accountId: tenant.accountId, kind: intent.kind, targetKey: intent.key, request: storedRequestOf(intent) },
      (created) => commandMessage(created, storedRequestOf(intent).command, 1),
    );
    if (options.relayed) await dataSource.query(`UPDATE outbox_events SET published_at = now() WHERE payload->>'subject' = $1`, [`operations/${operation.id}`]);
    await dataSource.query(`UPDATE operations SET status = $2, updated_at = now() - make_interval(secs => $3) WHERE id = $1`, [
      operation.id,
      options.status ?? 'queued',
      options.stalledFor ?? 0,
    ]);
    return operation.id;
  }

  async function commandsOf(id: string): Promise<Array<{ event_id: string; message_key: string; event_type: string; published: boolean; data: Record<string, unknown> }>> {
    return dataSource.query(
      `SELECT event_id, message_key, event_type, published_at IS NOT NULL AS published, payload->'data' AS data
         FROM outbox_events WHERE topic = $1 AND payload->>'subject' = $2 ORDER BY seq`,
      [TOPICS.provisioningCommands, `operations/${id}`],
    );
  }

  async function republishedMetric(): Promise<number> {
    const metric = await metricsRegistry.getSingleMetric('kb4_operations_republished_total')?.get();
    return metric?.values.find((value) => value.labels.reason === 'stalled')?.value ?? 0;
  }

  it('re-publishes the command of a queued operation whose command was lost, from its stored request', async () => {
    const id = await accepted('lost@example.com', { relayed: true, stalledFor: 5 });
    const metricBefore = await republishedMetric();
    const nudgesBefore = nudges;
    const republished = await reconciler.reconcileOnce();
    expect(republished?.map((operation) => operation.id)).toContain(id);
    const [first, second] = await commandsOf(id);
    expect(second).toMatchObject({
      message_key: first.message_key,
      event_type: first.event_type,
      published: false,
      data: { ...first.data, attempt: 1, requested_at: expect.any(String) },
    });
    expect(second.event_id).not.toBe(first.event_id);
    const [row] = await dataSource.query(`SELECT status, republish_count FROM operations WHERE id = $1`, [id]);
    expect(row).toEqual({ status: 'queued', republish_count: 1 });
    expect(await republishedMetric()).toBe(metricBefore + 1);
    expect(nudges).toBe(nudgesBefore + 1);
  });

  it('re-publishes a running operation with no progress (its provisioner died mid-attempt)', async () => {
    const id = await accepted('midflight@example.com', { relayed: true, stalledFor: 5, status: 'running' });
    expect((await reconciler.reconcileOnce())?.map((operation) => operation.id)).toContain(id);
    expect(await commandsOf(id)).toHaveLength(2);
  });

  it('leaves alone operations within the bound, finished ones, and ones whose command still waits in the outbox', async () => {
    const recent = await accepted('recent@example.com', { relayed: true, stalledFor: 0 });
    const waiting = await accepted('waiting@example.com', { relayed: false, stalledFor: 5 });
    const succeeded = await accepted('done@example.com', { relayed: true, stalledFor: 5, status: 'succeeded' });
    const failed = await accepted('failed@example.com', { relayed: true, stalledFor: 5, status: 'failed' });
    const republished = (await reconciler.reconcileOnce())?.map((operation) => operation.id) ?? [];
    for (const id of [recent, waiting, succeeded, failed]) {
      expect(republished).not.toContain(id);
      expect(await commandsOf(id)).toHaveLength(1);
    }
  });

  it('backs off per operation: stall bound × 2 per re-publication, so a long healthy queue gets few duplicates', async () => {
    const id = await accepted('slow@example.com', { relayed: true, stalledFor: 5 });
    expect((await reconciler.reconcileOnce())?.map((operation) => operation.id)).toContain(id);
    // Right away: within its backoff, even though it is still past the stall bound.
    expect((await reconciler.reconcileOnce())?.map((operation) => operation.id)).not.toContain(id);
    const [first] = await dataSource.query(`SELECT EXTRACT(EPOCH FROM republish_after - now())::float8 AS wait FROM operations WHERE id = $1`, [id]);
    expect(first.wait).toBeGreaterThan(0);
    expect(first.wait).toBeLessThanOrEqual(STALL_SECONDS * 1);
    // Once the relay has published it and the backoff is over (moved back here instead of waiting): again, and
    // the next backoff doubles.
    await dataSource.query(`UPDATE outbox_events SET published_at = now() WHERE payload->>'subject' = $1`, [`operations/${id}`]);
    await dataSource.query(`UPDATE operations SET republish_after = now() - interval '1 second' WHERE id = $1`, [id]);
    expect((await reconciler.reconcileOnce())?.map((operation) => operation.id)).toContain(id);
    const [second] = await dataSource.query(
      `SELECT republish_count, EXTRACT(EPOCH FROM republish_after - now())::float8 AS wait FROM operations WHERE id = $1`,
      [id],
    );
    expect(second.republish_count).toBe(2);
    expect(second.wait).toBeGreaterThan(STALL_SECONDS);
    expect(second.wait).toBeLessThanOrEqual(STALL_SECONDS * 2);
    expect(await commandsOf(id)).toHaveLength(3);
  });

  it('re-publishes the stalled operations of one user in the order they were accepted', async () => {
    const first = await accepted('ordered@example.com', { relayed: true, stalledFor: 5, status: 'running' });
    const second = await accepted('ordered@example.com', { relayed: true, stalledFor: 30 });
    expect((await reconciler.reconcileOnce())?.map((operation) => operation.id).filter((id) => id === first || id === second)).toEqual([first, second]);
    const rows: Array<{ subject: string }> = await dataSource.query(
      `SELECT payload->>'subject' AS subject FROM outbox_events WHERE topic = $1 AND published_at IS NULL AND payload->>'subject' = ANY($2::text[]) ORDER BY seq`,
      [TOPICS.provisioningCommands, [`operations/${first}`, `operations/${second}`]],
    );
    expect(rows.map((row) => row.subject)).toEqual([`operations/${first}`, `operations/${second}`]);
  });

  it('scans in one process at a time per database: another holder of the lock makes it stand by', async () => {
    const id = await accepted('locked@example.com', { relayed: true, stalledFor: 5 });
    const other = new Client({ connectionString: database.url });
    await other.connect();
    try {
      await other.query(`SELECT pg_advisory_lock(hashtext('kb4_operation_reconciler'))`);
      expect(await reconciler.reconcileOnce()).toBeNull();
      expect(await commandsOf(id)).toHaveLength(1);
    } finally {
      await other.end();
    }
    expect((await reconciler.reconcileOnce())?.map((operation) => operation.id)).toContain(id);
  });

  it('skips an operation a provisioner holds (its attempt is in progress)', async () => {
    const id = await accepted('held@example.com', { relayed: true, stalledFor: 5, status: 'running' });
    const provisioner = new Client({ connectionString: database.url });
    await provisioner.connect();
    try {
      await provisioner.query('BEGIN');
      await provisioner.query(`SELECT id FROM operations WHERE id = $1 FOR UPDATE`, [id]);
      expect((await reconciler.reconcileOnce())?.map((operation) => operation.id)).not.toContain(id);
      await provisioner.query('ROLLBACK');
    } finally {
      await provisioner.end();
    }
    expect(await commandsOf(id)).toHaveLength(1);
  });
});
