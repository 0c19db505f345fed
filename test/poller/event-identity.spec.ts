import { DIRECTORY_EVENT_TYPES, TOPICS } from '@kb4/contracts';
import { DataSource } from 'typeorm';
import type { RunningSandbox, TenantCredentials } from '../../apps/knowbe4-sandbox/src/sandbox';
import { PollerStack, sandboxCall, startPollerStack, syncAndWait } from './support';

interface OutboxEvent {
  event_id: string;
  event_type: string;
  data: Record<string, unknown>;
}

describe('poller: event identity across runs (no relay; the outbox is the record)', () => {
  let stack: PollerStack | undefined;
  let sandbox: RunningSandbox;
  let tenant: TenantCredentials;
  let dataSource: DataSource;
  let accountId: string;
  const admin = (path: string): string => `${sandbox.url}/_sandbox/tenants/${tenant.id}${path}`;
  const reporting = async <T>(path: string): Promise<T> =>
    (await (await fetch(`${tenant.reporting_base_url}${path}`, { headers: { authorization: `Bearer ${tenant.reporting_api_key}` } })).json()) as T;

  async function syncOnce(): Promise<OutboxEvent[]> {
    const { id, status } = await syncAndWait(dataSource, accountId);
    expect(status).toBe('completed');
    return dataSource.query(
      `SELECT event_id, event_type, payload->'data' AS data FROM outbox_events WHERE topic = $1 AND payload->'data'->>'sync_run_id' = $2 ORDER BY seq`,
      [TOPICS.directoryEvents, id],
    );
  }

  beforeAll(async () => {
    stack = await startPollerStack({ label: 'identity', sandboxTenant: { seed: 31, users: 30, region: 'us' }, env: { OUTBOX_RELAY_ENABLED: 'false', SYNC_PER_PAGE: '7' } });
    ({ sandbox, tenant, dataSource, accountId } = stack);
    expect(stack.initial.status).toBe('completed');
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('gives A→B→A→B (title and membership) a new event id at every logical change, across three syncs', async () => {
    const users = await reporting<Array<{ id: number; job_title: string | null; status: string }>>('/users?per_page=500&status=active');
    const user = users[0];
    const original = user.job_title;
    const group = (await sandboxCall(admin('/groups'), 'POST', { name: 'Identity test group' })) as { id: number };
    await syncOnce();

    const steps: Array<{ title: string; member: boolean }> = [
      { title: 'Changed Title', member: true },
      { title: original ?? 'Original Title', member: false },
      { title: 'Changed Title', member: true },
    ];
    const runs: OutboxEvent[][] = [];
    for (const step of steps) {
      await sandboxCall(admin(`/users/${user.id}`), 'PATCH', { job_title: step.title });
      await sandboxCall(admin(`/groups/${group.id}/members/${user.id}`), step.member ? 'PUT' : 'DELETE');
      runs.push(await syncOnce());
    }
    const updated = runs.map((events) => events.filter((e) => e.event_type === DIRECTORY_EVENT_TYPES.userUpdated && e.data.remote_id === String(user.id)));
    expect(updated.map((events) => events.length)).toEqual([1, 1, 1]);
    expect(updated.map(([e]) => (e.data.changes as Array<{ field: string; to: unknown }>).find((c) => c.field === 'title')?.to)).toEqual([
      'Changed Title',
      original ?? 'Original Title',
      'Changed Title',
    ]);
    // the first and the last change have the same before/after content, yet a consumer must see both
    expect(new Set(updated.map(([e]) => e.event_id)).size).toBe(3);

    const membership = runs.map((events) =>
      events.filter((e) => e.event_type.startsWith('knowbe4.group.member_') && e.data.group_id === String(group.id) && e.data.user_id === String(user.id)),
    );
    expect(membership.map((events) => events.map((e) => e.event_type))).toEqual([
      [DIRECTORY_EVENT_TYPES.groupMemberAdded],
      [DIRECTORY_EVENT_TYPES.groupMemberRemoved],
      [DIRECTORY_EVENT_TYPES.groupMemberAdded],
    ]);
    expect(new Set(membership.map(([e]) => e.event_id)).size).toBe(3);
  });

  it('reports the enrollments of a deleted user as removed, once, and forgets them', async () => {
    const enrollments = await reporting<Array<{ enrollment_id: number; user: { id: number } }>>('/training/enrollments?per_page=500');
    const stored: Array<{ user_id: string; n: number }> = await dataSource.query(
      `SELECT user_remote_id::text AS user_id, count(*)::int AS n FROM directory_enrollments WHERE account_id = $1 GROUP BY 1 ORDER BY 2 DESC LIMIT 1`,
      [accountId],
    );
    const victim = stored[0].user_id;
    const expected = enrollments.filter((e) => String(e.user.id) === victim).map((e) => String(e.enrollment_id)).sort();
    expect(expected.length).toBe(stored[0].n);
    await sandboxCall(admin(`/users/${victim}`), 'DELETE');

    const events = await syncOnce();
    expect(events.filter((e) => e.event_type === DIRECTORY_EVENT_TYPES.userDeleted).map((e) => e.data.remote_id)).toEqual([victim]);
    const enrollmentEvents = events.filter((e) => e.event_type === DIRECTORY_EVENT_TYPES.trainingEnrollmentChanged);
    // KnowBe4 blanks the embedded user of its enrollments first (an `updated` in the same run), then we remove them
    expect(enrollmentEvents.every((e) => e.data.change === 'updated' || e.data.change === 'removed')).toBe(true);
    const removed = enrollmentEvents.filter((e) => e.data.change === 'removed');
    expect(removed.map((e) => e.data.remote_id).sort()).toEqual(expected);
    expect(removed.every((e) => e.data.user_id === victim && typeof e.data.enrollment === 'object')).toBe(true);
    const [{ n }] = await dataSource.query(`SELECT count(*)::int AS n FROM directory_enrollments WHERE account_id = $1 AND user_remote_id = $2`, [accountId, victim]);
    expect(n).toBe(0);

    // KnowBe4 keeps listing them (pointing at a user that is gone): skipped, not re-created, not removed again
    const again = await syncOnce();
    expect(again.filter((e) => e.event_type === DIRECTORY_EVENT_TYPES.trainingEnrollmentChanged)).toEqual([]);
  });

  it('reconciles a mirror row written by someone else although the KnowBe4 page bytes did not change', async () => {
    const [row] = await dataSource.query<Array<{ remote_id: string; title: string | null }>>(
      `SELECT remote_id::text, record->>'title' AS title FROM directory_users WHERE account_id = $1 AND remote_id IS NOT NULL ORDER BY remote_id LIMIT 1`,
      [accountId],
    );
    // what a provisioner refresh does: its own record and content hash on a row the poller owns
    await dataSource.query(
      `UPDATE directory_users SET record = jsonb_set(record, '{title}', '"Tampered"'), content_hash = 'written-elsewhere' WHERE account_id = $1 AND remote_id = $2`,
      [accountId, row.remote_id],
    );
    const events = await syncOnce();
    const updated = events.filter((e) => e.event_type === DIRECTORY_EVENT_TYPES.userUpdated && e.data.remote_id === row.remote_id);
    expect(updated).toHaveLength(1);
    expect(updated[0].data.changes).toContainEqual({ field: 'title', from: 'Tampered', to: row.title });
    const [after] = await dataSource.query(`SELECT record->>'title' AS title FROM directory_users WHERE account_id = $1 AND remote_id = $2`, [accountId, row.remote_id]);
    expect(after.title).toBe(row.title);
  });

  it('re-maps the users of a renamed group although their own KnowBe4 records did not change', async () => {
    const [member] = await dataSource.query<Array<{ group_id: string; user_id: string }>>(
      `SELECT group_remote_id::text AS group_id, user_remote_id::text AS user_id FROM directory_group_members WHERE account_id = $1 ORDER BY 1, 2 LIMIT 1`,
      [accountId],
    );
    await sandboxCall(admin(`/groups/${member.group_id}`), 'PATCH', { name: 'Renamed Group' });
    const events = await syncOnce();
    expect(events.filter((e) => e.event_type === DIRECTORY_EVENT_TYPES.groupUpdated).map((e) => e.data.remote_id)).toEqual([member.group_id]);
    const [after] = await dataSource.query(`SELECT record->'groups' AS groups FROM directory_users WHERE account_id = $1 AND remote_id = $2`, [accountId, member.user_id]);
    expect(after.groups).toContainEqual({ id: member.group_id, name: 'Renamed Group' });
  });
});
