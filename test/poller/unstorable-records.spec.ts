import { SYNC_RECORD_EVENT_TYPES, TOPICS } from '@kb4/contracts';
import { metricsRegistry } from '@kb4/platform';
import { DataSource } from 'typeorm';
import type { RunningSandbox, TenantCredentials } from '../../apps/knowbe4-sandbox/src/sandbox';
import { PollerStack, sandboxCall, startPollerStack, syncAndWait } from './support';

/** A string gzip cannot shrink, so Postgres cannot squeeze it under the 2,704-byte btree row limit. */
function incompressible(length: number): string {
  let text = '';
  let x = 12345;
  while (text.length < length) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    text += x.toString(36);
  }
  return text.slice(0, length);
}

describe('poller: one record it cannot store never stops an account', () => {
  let stack: PollerStack | undefined;
  let sandbox: RunningSandbox;
  let tenant: TenantCredentials;
  let dataSource: DataSource;
  let accountId: string;
  let users: Array<{ id: number; email: string }>;
  const admin = (path: string): string => `${sandbox.url}/_sandbox/tenants/${tenant.id}${path}`;

  async function syncOnce(): Promise<{ status: string; counts: Record<string, number>; events: Array<{ topic: string; event_type: string; data: Record<string, unknown> }> }> {
    const { id, ...run } = await syncAndWait(dataSource, accountId);
    const events = await dataSource.query(
      `SELECT topic, event_type, payload->'data' AS data FROM outbox_events WHERE payload->'data'->>'sync_run_id' = $1 ORDER BY seq`,
      [id],
    );
    return { ...run, events };
  }

  async function mirrored(remoteId: number): Promise<{ first_name: string | null; department: string | null; employee_number: string | null } | undefined> {
    const [row] = await dataSource.query(`SELECT first_name, department, employee_number FROM directory_users WHERE account_id = $1 AND remote_id = $2`, [
      accountId,
      remoteId,
    ]);
    return row;
  }

  async function skippedMetric(reason: string): Promise<number> {
    const metric = await metricsRegistry.getSingleMetric('kb4_poller_records_skipped_total')?.get();
    return metric?.values.filter((v) => v.labels.reason === reason).reduce((n, v) => n + v.value, 0) ?? 0;
  }

  beforeAll(async () => {
    stack = await startPollerStack({
      label: 'unstorable',
      sandboxTenant: { seed: 77, users: 30, region: 'us' },
      env: { OUTBOX_RELAY_ENABLED: 'false', SYNC_PER_PAGE: '10', SYNC_ENROLLMENTS: 'false' },
    });
    ({ sandbox, tenant, dataSource, accountId } = stack);
    expect(stack.initial.status).toBe('completed');
    users = (await (
      await fetch(`${tenant.reporting_base_url}/users?per_page=500`, { headers: { authorization: `Bearer ${tenant.reporting_api_key}` } })
    ).json()) as Array<{ id: number; email: string }>;
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('skips a 200,000-character first name and an employee number over the index limit, stores the rest of the page, and keeps syncing', async () => {
    const before = await skippedMetric('too_large');
    // a console user with a huge first name (KnowBe4 itself, not our gateway, holds it)
    const huge = (await sandboxCall(admin('/users'), 'POST', { email: 'huge.name@example.com', first_name: 'x'.repeat(200_000), last_name: 'Huge' })) as { id: number };
    // small enough for the record limit, too big for a btree index row (employee numbers are looked up whole): the
    // page's batch write fails, then goes record by record
    const wide = users[11];
    const wideBefore = await mirrored(wide.id);
    await sandboxCall(admin(`/users/${wide.id}`), 'PATCH', { employee_number: incompressible(5_000) });
    // a department that long is stored: its index holds a bounded prefix
    const longDepartment = incompressible(5_000);
    await sandboxCall(admin(`/users/${users[13].id}`), 'PATCH', { department: longDepartment });
    // an ordinary edit on the same page must still land
    const neighbour = users[12];
    await sandboxCall(admin(`/users/${neighbour.id}`), 'PATCH', { department: 'Neighbours' });

    const run = await syncOnce();
    expect(run.status).toBe('completed');
    expect(run.counts.records_skipped).toBe(2);
    const skipped = run.events.filter((e) => e.event_type === SYNC_RECORD_EVENT_TYPES.recordSkipped);
    expect(skipped.map((e) => e.topic)).toEqual([TOPICS.syncRuns, TOPICS.syncRuns]);
    expect(skipped.map((e) => e.data).sort((a, b) => String(a.remote_id).localeCompare(String(b.remote_id)))).toEqual(
      [
        { integrated_account_id: accountId, sync_run_id: expect.any(String), entity: 'user', remote_id: String(wide.id), page: 2, reason: 'rejected', db_code: '54000' },
        { integrated_account_id: accountId, sync_run_id: expect.any(String), entity: 'user', remote_id: String(huge.id), page: expect.any(Number), reason: 'too_large' },
      ].sort((a, b) => a.remote_id.localeCompare(b.remote_id)),
    );
    // the completed event carries the count
    const completed = run.events.find((e) => e.event_type === 'knowbe4.sync_run.completed');
    expect((completed?.data.counts as Record<string, number>).records_skipped).toBe(2);
    // no event describes the values that could not be stored, and no directory event for the skipped users
    expect(JSON.stringify(run.events)).not.toContain('xxxxxxxxxx');
    expect(run.events.filter((e) => e.topic === TOPICS.directoryEvents && [String(huge.id), String(wide.id)].includes(String(e.data.remote_id)))).toEqual([]);
    // the rest of the page went through
    expect((await mirrored(neighbour.id))?.department).toBe('Neighbours');
    expect(run.events.some((e) => e.event_type === 'knowbe4.user.updated' && e.data.remote_id === String(neighbour.id))).toBe(true);
    expect((await mirrored(users[13].id))?.department).toBe(longDepartment);
    // the record that could not be updated keeps its last stored version and is not called deleted
    expect((await mirrored(wide.id))?.employee_number).toBe(wideBefore?.employee_number);
    expect(await mirrored(huge.id)).toBeUndefined();
    expect(await skippedMetric('too_large')).toBe(before + 1);
    expect(await skippedMetric('rejected')).toBeGreaterThanOrEqual(1);

    // the next run is not frozen: it completes, reports the same two records again and takes new changes
    await sandboxCall(admin(`/users/${users[20].id}`), 'PATCH', { job_title: 'Still syncing' });
    const next = await syncOnce();
    expect(next.status).toBe('completed');
    expect(next.counts.records_skipped).toBe(2);
    expect(next.events.filter((e) => e.event_type === 'knowbe4.user.deleted')).toEqual([]);
    expect(next.events.some((e) => e.event_type === 'knowbe4.user.updated' && e.data.remote_id === String(users[20].id))).toBe(true);

    // once KnowBe4 holds a storable value again the record syncs as usual
    await sandboxCall(admin(`/users/${huge.id}`), 'PATCH', { first_name: 'Reasonable' });
    await sandboxCall(admin(`/users/${wide.id}`), 'PATCH', { employee_number: '4242' });
    const healed = await syncOnce();
    expect(healed.counts.records_skipped).toBe(0);
    expect((await mirrored(huge.id))?.first_name).toBe('Reasonable');
    expect((await mirrored(wide.id))?.employee_number).toBe('4242');
  }, 120_000);

  it('skips records holding a NUL or a lone surrogate (Postgres text/jsonb refuse them) and completes', async () => {
    const nul = users[3];
    const surrogate = users[4];
    const fine = users[5];
    await sandboxCall(admin(`/users/${nul.id}`), 'PATCH', { last_name: 'Null\u0000Byte' });
    await sandboxCall(admin(`/users/${surrogate.id}`), 'PATCH', { job_title: 'Half \udc00 a pair' });
    await sandboxCall(admin(`/users/${fine.id}`), 'PATCH', { job_title: 'Fine 🚀' });

    const run = await syncOnce();
    expect(run.status).toBe('completed');
    expect(run.counts.records_skipped).toBe(2);
    const skipped = run.events.filter((e) => e.event_type === SYNC_RECORD_EVENT_TYPES.recordSkipped).map((e) => [e.data.remote_id, e.data.reason]);
    expect(skipped.sort()).toEqual(
      [
        [String(nul.id), 'unstorable_characters'],
        [String(surrogate.id), 'unstorable_characters'],
      ].sort(),
    );
    const [row] = await dataSource.query(`SELECT record->>'title' AS title FROM directory_users WHERE account_id = $1 AND remote_id = $2`, [accountId, fine.id]);
    expect(row.title).toBe('Fine 🚀');
  }, 120_000);
});
