import type { INestApplicationContext } from '@nestjs/common';
import { api, finishedOperation, ProvisioningStack, startProvisioningStack } from '../provisioner/support/provisioning-stack';
import { pollerEnv, startPollerInProcess, waitFor } from '../poller/support';

jest.setTimeout(180_000);

type Json = Record<string, unknown>;
interface ReportingUser {
  id: number;
  email: string;
  status: 'active' | 'archived';
  archived_at: string | null;
}
interface ArchivedUser {
  id: string;
  email: string | null;
  archived_at: string;
  source: string;
  operation_id: string | null;
  actor: { type: string; id?: string | null } | null;
}
interface Licenses {
  seats_purchased: number | null;
  seats_used: number;
  seats_free: number | null;
  active_users: number;
  archived_users: number;
  seats_freed_last_30_days: number;
  seats_freed_last_90_days: number;
  seats_synced_at: string | null;
  archiving: { keeps_history: boolean; description: string; sources: string[] };
  archived: { result: ArchivedUser[]; next_cursor: string | null; result_count: number };
}

const DAY_MS = 86_400_000;

describe('GET /integrated-accounts/{id}/licenses: seats and offboarding through gateway, provisioner, poller and the sandbox', () => {
  let stack: ProvisioningStack;
  let poller: INestApplicationContext | undefined;

  beforeAll(async () => {
    stack = await startProvisioningStack('kb4_test_licenses', { users: 60 });
    poller = await startPollerInProcess(
      pollerEnv(stack.database.url, stack.sandbox.url, { CREDENTIALS_KEY: stack.env.CREDENTIALS_KEY, SYNC_ENROLLMENTS: 'false', OUTBOX_RELAY_ENABLED: 'false' }),
    );
    // the scheduler's initial run of the new account
    await waitFor('the initial sync', async () => {
      const rows = await stack.query<{ status: string }>(`SELECT status FROM sync_runs WHERE account_id = $1`, [stack.accountId]);
      return rows.length > 0 && rows.every((row) => row.status === 'completed');
    }, 120_000);
  });

  afterAll(async () => {
    await poller?.close();
    await stack?.stop();
  });

  const licenses = async (query = ''): Promise<Licenses> => {
    const answer = await api<Licenses>(stack, 'GET', `/integrated-accounts/${stack.accountId}/licenses${query}`);
    expect(answer.status).toBe(200);
    return answer.body;
  };

  async function reporting<T>(path: string): Promise<T> {
    const response = await fetch(`${stack.sandbox.url}/us/v1${path}`, { headers: { authorization: `Bearer ${stack.tenant.reporting_api_key}` } });
    expect(response.status).toBe(200);
    return (await response.json()) as T;
  }

  const sandboxUsers = async (status: 'active' | 'archived'): Promise<ReportingUser[]> => reporting<ReportingUser[]>(`/users?status=${status}&per_page=500`);

  async function consoleSetStatus(userId: number, status: 'active' | 'archived'): Promise<void> {
    const response = await fetch(`${stack.sandbox.url}/_sandbox/tenants/${stack.tenant.id}/users/${userId}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status }),
    });
    expect(response.status).toBe(200);
  }

  async function syncAndWait(): Promise<void> {
    const queued = await api(stack, 'POST', `/integrated-accounts/${stack.accountId}/sync`);
    expect([200, 202]).toContain(queued.status);
    const runId = queued.body.id as string;
    const run = await waitFor(`sync run ${runId}`, async () => {
      const [row] = await stack.query<{ status: string }>(`SELECT status FROM sync_runs WHERE id = $1`, [runId]);
      return row && ['completed', 'failed'].includes(row.status) ? row : undefined;
    }, 120_000);
    expect(run.status).toBe('completed');
  }

  /** Every archived user, walking the pages with next_cursor. */
  async function allArchived(limit: number): Promise<ArchivedUser[]> {
    const seen: ArchivedUser[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Licenses = await licenses(`?limit=${limit}${cursor ? `&next_cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.archived.result_count).toBe(page.archived.result.length);
      seen.push(...page.archived.result);
      cursor = page.archived.next_cursor;
      expect(++pages).toBeLessThan(200);
    } while (cursor);
    return seen;
  }

  const freedSince = (users: ReportingUser[], days: number): number =>
    users.filter((user) => user.archived_at !== null && Date.parse(user.archived_at) >= Date.now() - days * DAY_MS).length;

  it('after a sync: seats purchased from KnowBe4\'s /v1/account, counts and freed seats from the mirror, console archives attributed to the console', async () => {
    const account = await reporting<{ number_of_seats: number }>('/account');
    const [active, archived] = [await sandboxUsers('active'), await sandboxUsers('archived')];
    const body = await licenses();
    expect(body).toMatchObject({
      integrated_account_id: stack.accountId,
      seats_purchased: account.number_of_seats,
      seats_used: active.length,
      seats_free: account.number_of_seats - active.length,
      active_users: active.length,
      archived_users: archived.length,
      seats_freed_last_30_days: freedSince(archived, 30),
      seats_freed_last_90_days: freedSince(archived, 90),
      seats_synced_at: expect.stringMatching(/Z$/),
      archiving: { keeps_history: true, sources: expect.arrayContaining([expect.stringContaining('support.knowbe4.com')]) },
    });
    expect(body.archiving.description).toContain('phishing and training history');
    expect(body.archived.result).toHaveLength(archived.length);
    for (const user of archived) {
      expect(body.archived.result).toContainEqual(
        expect.objectContaining({ id: String(user.id), archived_at: new Date(user.archived_at!).toISOString(), source: 'knowbe4-console', operation_id: null, actor: null }),
      );
    }
  });

  it('archives through the API and in the console: counts, freed seats and sources follow, before and after the sync', async () => {
    const before = await licenses();
    const [viaApi, viaConsole] = (await sandboxUsers('active')).slice(0, 2);

    const accepted = await api(stack, 'DELETE', `/unified/user-directory/users/${viaApi.id}?integrated_account_id=${stack.accountId}`);
    expect(accepted.status).toBe(202);
    const operation = await finishedOperation(stack, accepted.body.id as string);
    expect(operation.status).toBe('succeeded');
    const [{ id: keyId }] = await stack.query<{ id: string }>(`SELECT id FROM api_keys WHERE workspace_id = $1`, [stack.workspaceId]);

    // our write is visible at once (the provisioner refreshed the mirror), before any sync
    const unsynced = await licenses();
    expect(unsynced).toMatchObject({ active_users: before.active_users - 1, archived_users: before.archived_users + 1, seats_freed_last_30_days: before.seats_freed_last_30_days + 1 });
    expect(unsynced.archived.result[0]).toMatchObject({ id: String(viaApi.id), source: 'api', operation_id: operation.id, actor: { type: 'api_key', id: keyId } });

    await consoleSetStatus(viaConsole.id, 'archived');
    await syncAndWait();

    const after = await licenses();
    expect(after).toMatchObject({
      active_users: before.active_users - 2,
      seats_used: before.seats_used - 2,
      seats_free: before.seats_free! + 2,
      archived_users: before.archived_users + 2,
      seats_freed_last_30_days: before.seats_freed_last_30_days + 2,
      seats_freed_last_90_days: before.seats_freed_last_90_days + 2,
    });
    const archivedNow = new Map((await sandboxUsers('archived')).map((user) => [String(user.id), user.archived_at]));
    const byId = new Map(after.archived.result.map((user) => [user.id, user]));
    // the date is KnowBe4's own archived_at once a sync has mirrored it
    expect(byId.get(String(viaApi.id))).toMatchObject({
      source: 'api',
      operation_id: operation.id,
      actor: { type: 'api_key', id: keyId },
      archived_at: new Date(archivedNow.get(String(viaApi.id))!).toISOString(),
    });
    expect(byId.get(String(viaConsole.id))).toMatchObject({
      source: 'knowbe4-console',
      operation_id: null,
      actor: null,
      archived_at: new Date(archivedNow.get(String(viaConsole.id))!).toISOString(),
    });
    // newest first: the two archived here lead the list
    expect(after.archived.result.slice(0, 2).map((user) => user.id).sort()).toEqual([String(viaApi.id), String(viaConsole.id)].sort());

    // reactivated in the console: the seat comes back and the user leaves the archived list
    await consoleSetStatus(viaApi.id, 'active');
    await syncAndWait();
    const reactivated = await licenses();
    expect(reactivated).toMatchObject({ active_users: after.active_users + 1, archived_users: after.archived_users - 1, seats_freed_last_30_days: after.seats_freed_last_30_days - 1 });
    expect(reactivated.archived.result.map((user) => user.id)).not.toContain(String(viaApi.id));

    // archived again in the console moments later (within the slack of our write's time): the console's, since the
    // sync saw the user come back after our write
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // KnowBe4's archived_at has whole seconds
    await consoleSetStatus(viaApi.id, 'archived');
    await syncAndWait();
    const rearchived = await licenses();
    expect(rearchived).toMatchObject({ active_users: after.active_users, archived_users: after.archived_users, seats_freed_last_30_days: after.seats_freed_last_30_days });
    expect(rearchived.archived.result.find((user) => user.id === String(viaApi.id))).toMatchObject({ source: 'knowbe4-console', operation_id: null, actor: null });
  });

  it('pages the archived users with next_cursor, newest first, none repeated or skipped', async () => {
    const whole = await licenses('?limit=500');
    const walked = await allArchived(2);
    expect(walked.map((user) => user.id)).toEqual(whole.archived.result.map((user) => user.id));
    expect(new Set(walked.map((user) => user.id)).size).toBe(whole.archived_users);
    const times = walked.map((user) => Date.parse(user.archived_at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it('answers 400 naming the field for a bad limit or cursor, and 404 for an account of another workspace or none', async () => {
    const badLimit = await api<Json>(stack, 'GET', `/integrated-accounts/${stack.accountId}/licenses?limit=0`);
    expect(badLimit.status).toBe(400);
    expect(JSON.stringify(badLimit.body)).toContain('limit');
    const badCursor = await api<Json>(stack, 'GET', `/integrated-accounts/${stack.accountId}/licenses?next_cursor=not-a-cursor`);
    expect(badCursor.status).toBe(400);
    expect(JSON.stringify(badCursor.body)).toContain('next_cursor');
    // a cursor made for another page size is refused rather than misread
    const page = await licenses('?limit=1');
    if (page.archived.next_cursor) {
      const mismatched = await api<Json>(stack, 'GET', `/integrated-accounts/${stack.accountId}/licenses?limit=2&next_cursor=${encodeURIComponent(page.archived.next_cursor)}`);
      expect(mismatched.status).toBe(400);
    }
    expect((await api(stack, 'GET', `/integrated-accounts/00000000-0000-4000-8000-000000000000/licenses`)).status).toBe(404);
    expect((await api(stack, 'GET', `/integrated-accounts/not-a-uuid/licenses`)).status).toBe(404);
  });
});
