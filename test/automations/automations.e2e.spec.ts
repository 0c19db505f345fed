import { randomBytes, randomUUID } from 'node:crypto';
import { buildCloudEvent, integratedAccountSource, toKafkaMessage, TOPICS } from '@kb4/contracts';
import { createKafka, createProducer } from '@kb4/platform';
import type { Pool } from 'pg';
import { call, createTenant, GatewayProcess, migratedDatabase, poolFor, startGatewayProcess } from '../gateway/support/gateway-harness';
import { waitFor } from '../poller/support';
import type { ThrowawayDatabase } from '../support/throwaway-database';
import { startAutomationsProcess, type AutomationsProcess } from './support';

// Real processes (gateway + automations, embedded broker, Postgres); the provisioner is not running, so commands stay queued.
describe('automations: settings and rules API, the automations process applying them', () => {
  const credentialsKey = randomBytes(32).toString('base64');
  let database: ThrowawayDatabase;
  let pool: Pool;
  let gateway: GatewayProcess;
  let automations: AutomationsProcess;
  let apiKey: string;
  let accountId: string;
  let nextId = 5000;
  const api = (path: string, options: { method?: string; body?: unknown } = {}) => call(gateway.url, path, { ...options, apiKey });

  const seedUser = async (fields: Record<string, unknown>): Promise<string> => {
    const id = String(nextId++);
    await pool.query(`INSERT INTO directory_users (account_id, remote_id, email_lower, status, record, content_hash) VALUES ($1, $2, $3, 'active', $4, 'h')`, [
      accountId,
      id,
      `u${id}@example.com`,
      JSON.stringify({ id, status: 'active', groups: [], ...fields }),
    ]);
    return id;
  };
  const seedGroup = async (name: string): Promise<string> => {
    const id = String(nextId++);
    await pool.query(`INSERT INTO directory_groups (account_id, remote_id, name, record, content_hash) VALUES ($1, $2, $3, $4, 'h')`, [accountId, id, name, JSON.stringify({ id, name })]);
    return id;
  };
  const operations = async () =>
    (await pool.query(`SELECT kind, request, actor FROM operations WHERE account_id = $1 ORDER BY created_at`, [accountId])).rows as Array<{
      kind: string;
      request: { command: { payload: Record<string, unknown> } };
      actor: Record<string, unknown> | null;
    }>;

  beforeAll(async () => {
    database = await migratedDatabase('kb4_automations_e2e');
    pool = poolFor(database.url);
    ({ apiKey, accountId } = await createTenant(database.url, credentialsKey));
    const env = { DATABASE_URL: database.url, CREDENTIALS_KEY: credentialsKey, KAFKA_BROKERS: process.env.KAFKA_BROKERS!, KNOWBE4_PACING: 'off' };
    [gateway, automations] = await Promise.all([
      startGatewayProcess({ ...env, OPERATION_RECONCILE_INTERVAL_SECONDS: '0' }),
      startAutomationsProcess({ ...env, AUTOMATIONS_POLL_INTERVAL_MS: '200', AUTOMATIONS_SESSION_TIMEOUT_MS: '10000', AUTOMATIONS_HEARTBEAT_INTERVAL_MS: '1000' }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([gateway?.stop(), automations?.stop()]);
    await pool?.end();
    await database?.drop();
  });

  it('refuses invalid rules naming the field, and unsafe regexes', async () => {
    const bad = await api(`/integrated-accounts/${accountId}/mapping-rules`, {
      method: 'POST',
      body: { name: 'x', conditions: [{ attribute: 'title', operator: 'regex', value: '(a+)+$' }], target_group_name: 'G' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^conditions\[0\]\.value: regex/);
    const both = await api(`/integrated-accounts/${accountId}/mapping-rules`, {
      method: 'POST',
      body: { name: 'x', conditions: [{ attribute: 'title', operator: 'equals', value: 'a' }], target_group_name: 'G', target_group_id: '1' },
    });
    expect(both.status).toBe(400);
    expect(both.body.message).toMatch(/^target_group_id:/);
  });

  it('previews, saves a rule, and the automations process moves matching users into the rule group', async () => {
    const engineering = await seedGroup('Phish: Engineering');
    const engineers = [await seedUser({ department: 'Engineering' }), await seedUser({ department: 'engineering' })];
    await seedUser({ department: 'Sales' });
    const rule = { name: 'eng', conditions: [{ attribute: 'department', operator: 'equals', value: 'Engineering' }], target_group_id: engineering };
    const preview = await api(`/integrated-accounts/${accountId}/mapping-rules/preview`, { method: 'POST', body: { rules: [rule] } });
    expect(preview.status).toBe(200);
    expect(preview.body.groups).toEqual([{ group_id: engineering, group_name: 'Phish: Engineering', join_count: 2, leave_count: 0, join: engineers, leave: [] }]);
    expect(await operations()).toEqual([]);

    const created = await api(`/integrated-accounts/${accountId}/mapping-rules`, { method: 'POST', body: rule });
    expect(created.status).toBe(201);
    const ops = await waitFor('the re-evaluation to send two memberships', async () => ((await operations()).length === 2 ? operations() : null), 60_000);
    expect(ops.map((op) => op.request.command.payload.user_ids).flat().sort()).toEqual([...engineers].sort());
    expect(ops[0].actor).toEqual({ type: 'automation', source: 'mapping_rules', rule_ids: [created.body.id] });
    expect((await api(`/integrated-accounts/${accountId}/mapping-rules`)).body.result_count).toBe(1);
  });

  it('adds a user a sync saw created to New Hires (creating the group first)', async () => {
    const put = await api(`/integrated-accounts/${accountId}/automations`, { method: 'PUT', body: { new_hires: { enabled: true, group_name: 'New Hires', remove_after_days: 30 } } });
    expect(put.status).toBe(200);
    await seedGroup('New Hires');
    const hire = await seedUser({ department: 'Legal' });
    const producer = createProducer(createKafka(process.env.KAFKA_BROKERS!.split(','), 'automations-e2e'));
    await producer.connect();
    const event = buildCloudEvent({
      id: randomUUID(),
      type: 'knowbe4.user.created',
      source: integratedAccountSource(accountId),
      subject: `users/${hire}`,
      time: new Date(),
      data: { integrated_account_id: accountId, sync_run_id: randomUUID(), remote_id: hire, user: { id: hire } },
    });
    await producer.send({ topic: TOPICS.directoryEvents, messages: [toKafkaMessage(event, `${accountId}:user:${hire}`)] });
    await producer.disconnect();
    const added = await waitFor('the new hire membership', async () =>
      (await operations()).find((op) => op.actor?.source === 'new-hires' && (op.request.command.payload.user_ids as string[]).includes(hire)),
    );
    expect(added.kind).toBe('group.add_members');
  });

  it('treats a user update that set status active (API or roster reactivation) as a new hire', async () => {
    await api(`/integrated-accounts/${accountId}/automations`, { method: 'PUT', body: { new_hires: { enabled: true, group_name: 'New Hires', remove_after_days: 30 } } });
    if (!(await pool.query(`SELECT 1 FROM directory_groups WHERE account_id = $1 AND name = 'New Hires'`, [accountId])).rowCount) await seedGroup('New Hires');
    const returning = await seedUser({ department: 'Legal' });
    const operationId = randomUUID();
    await pool.query(
      `INSERT INTO operations (id, workspace_id, account_id, kind, status, attempts, target_key, request)
       SELECT $1, workspace_id, id, 'user.update', 'succeeded', 1, 'k', $2 FROM integrated_accounts WHERE id = $3`,
      [operationId, JSON.stringify({ command: { type: 'knowbe4.command.user.update', key: 'k', payload: { changes: { status: 'active' } } } }), accountId],
    );
    const producer = createProducer(createKafka(process.env.KAFKA_BROKERS!.split(','), 'automations-e2e'));
    await producer.connect();
    const result = buildCloudEvent({
      id: randomUUID(),
      type: 'knowbe4.operation.succeeded',
      source: integratedAccountSource(accountId),
      subject: `operations/${operationId}`,
      time: new Date(),
      data: { operation_id: operationId, integrated_account_id: accountId, command_type: 'knowbe4.command.user.update', attempt: 1, completed_at: new Date().toISOString(), remote_id: returning, scim_id: null },
    });
    await producer.send({ topic: TOPICS.provisioningResults, messages: [toKafkaMessage(result, `${accountId}:user:u${returning}@example.com`)] });
    await producer.disconnect();
    await waitFor('the reactivated user in New Hires', async () =>
      (await operations()).find((op) => op.actor?.source === 'new-hires' && (op.request.command.payload.user_ids as string[]).includes(returning)),
    );
  });

  it('reports two fighting rules instead of sending commands', async () => {
    const berlin = await seedGroup('Phish: Berlin');
    const before = (await operations()).length;
    const fought = await seedUser({ location: 'Berlin', title: 'Contractor' });
    // the exclude rule first: alone it changes nothing for a non-member, whereas the include rule alone would rightly add
    // the user before the second rule exists (the automations process evaluates every rule change at once)
    await api(`/integrated-accounts/${accountId}/mapping-rules`, {
      method: 'POST',
      body: { name: 'no contractors', effect: 'exclude', conditions: [{ attribute: 'title', operator: 'prefix', value: 'contract' }], target_group_id: berlin },
    });
    await api(`/integrated-accounts/${accountId}/mapping-rules`, { method: 'POST', body: { name: 'berlin', conditions: [{ attribute: 'location', operator: 'equals', value: 'berlin' }], target_group_id: berlin } });
    const conflicts = await waitFor('the conflict', async () => {
      const page = await api(`/integrated-accounts/${accountId}/automation-conflicts`);
      return page.body.result_count > 0 ? page.body : null;
    });
    expect(conflicts.result[0]).toMatchObject({ kind: 'rule_conflict', user_id: fought, group_name: 'Phish: Berlin' });
    expect((await operations()).filter((op) => op.request.command.payload.group_id === berlin)).toHaveLength(0);
    expect((await operations()).length).toBeGreaterThanOrEqual(before);
  });
});
