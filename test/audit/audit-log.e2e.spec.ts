import type { INestApplicationContext } from '@nestjs/common';
import { api, finishedOperation, ProvisioningStack, startProvisioningStack } from '../provisioner/support/provisioning-stack';
import { pollerEnv, startPollerInProcess, waitFor } from '../poller/support';
import { completedRun, putRoster } from '../roster/roster-support';

jest.setTimeout(240_000);

type Json = Record<string, unknown>;
interface AuditEvent {
  id: string;
  seq: string;
  type: string;
  resource: { user?: { id: string | null; ids: string[]; email: string | null }; group?: { id: string | null; name: string | null } };
  changes: Array<{ field: string; from: unknown; to: unknown }>;
  actor: { type: string; id: string | null };
  source: { operation_id?: string; sync_run_id?: string; roster_run_id?: string };
  request_id: string | null;
  hash: string;
}
interface Page {
  result: AuditEvent[];
  next_cursor: string | null;
}

/**
 * Issue 14's acceptance for the audit log: a create, an update and an archive through the API (and a group create), a roster run and a console
 * edit each appear exactly once with the right actor and from/to (the syncs that later see our own writes add nothing),
 * the user's history lists them in order, the chain verifies, a checkpoint signs its head and the export streams it all.
 * Gateway and provisioner are real processes, the poller runs in process; about 40 s on a quiet machine.
 */
describe('audit log through gateway, provisioner, poller and the sandbox', () => {
  let stack: ProvisioningStack;
  let poller: INestApplicationContext | undefined;
  let keyId: string;

  beforeAll(async () => {
    stack = await startProvisioningStack('kb4_test_audit', { users: 8 });
    poller = await startPollerInProcess(
      pollerEnv(stack.database.url, stack.sandbox.url, { CREDENTIALS_KEY: stack.env.CREDENTIALS_KEY, SYNC_ENROLLMENTS: 'false', OUTBOX_RELAY_ENABLED: 'false' }),
    );
    await waitFor('the initial sync', async () => {
      const rows = await stack.query<{ status: string }>(`SELECT status FROM sync_runs WHERE account_id = $1`, [stack.accountId]);
      return rows.length > 0 && rows.every((row) => row.status === 'completed');
    }, 120_000);
    [{ id: keyId }] = await stack.query<{ id: string }>(`SELECT id FROM api_keys WHERE workspace_id = $1`, [stack.workspaceId]);
  });

  afterAll(async () => {
    await poller?.close();
    await stack?.stop();
  });

  const base = (): string => `integrated_account_id=${stack.accountId}`;

  async function syncAndWait(): Promise<string> {
    const queued = await api(stack, 'POST', `/integrated-accounts/${stack.accountId}/sync`);
    expect([200, 202]).toContain(queued.status);
    const runId = queued.body.id as string;
    const run = await waitFor(`sync run ${runId}`, async () => {
      const [row] = await stack.query<{ status: string }>(`SELECT status FROM sync_runs WHERE id = $1`, [runId]);
      return row && ['completed', 'failed'].includes(row.status) ? row : undefined;
    }, 120_000);
    expect(run.status).toBe('completed');
    return runId;
  }

  async function allEvents(query = ''): Promise<AuditEvent[]> {
    const seen: AuditEvent[] = [];
    let cursor: string | null = null;
    do {
      const answer: { status: number; body: Page } = await api<Page>(
        stack,
        'GET',
        `/audit-events?${base()}&limit=7${query}${cursor ? `&next_cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(answer.status).toBe(200);
      seen.push(...answer.body.result);
      cursor = answer.body.next_cursor;
    } while (cursor);
    return seen;
  }

  async function wrote(method: string, path: string, body?: Json): Promise<string> {
    const accepted = await api(stack, method, path, { body, headers: { 'x-request-id': `audit-e2e-${method.toLowerCase()}-${Date.now()}` } });
    expect(accepted.status).toBe(202);
    const finished = await finishedOperation(stack, accepted.body.id as string);
    expect(finished.status).toBe('succeeded');
    return accepted.body.id as string;
  }

  it('records API writes, a roster run and a console edit each exactly once, with actor and from/to, and the history in order', async () => {
    const initial = await allEvents();
    const seeded = (await api<{ result: Array<{ id: string; username: string; department: string | null }> }>(stack, 'GET', `/unified/user-directory/users?${base()}&limit=50`)).body.result;

    // API: create, update, archive
    const createOp = await wrote('POST', `/unified/user-directory/users?${base()}`, { first_name: 'Ada', last_name: 'Lovelace', username: 'ada.audit@audit.test', department: 'R&D' });
    const [created] = await stack.query<{ scim_id: string }>(`SELECT scim_id FROM directory_users WHERE account_id = $1 AND email_lower = 'ada.audit@audit.test'`, [stack.accountId]);
    const updateOp = await wrote('PATCH', `/unified/user-directory/users/${created.scim_id}?${base()}`, { department: 'Engineering' });
    const groupOp = await wrote('POST', `/unified/user-directory/groups?${base()}`, { name: 'Audit Group' });
    await syncAndWait(); // KnowBe4 now lists Ada: the sync must add nothing for what our writes already recorded
    const [ada] = await stack.query<{ remote_id: string }>(`SELECT remote_id FROM directory_users WHERE account_id = $1 AND email_lower = 'ada.audit@audit.test'`, [stack.accountId]);
    expect(ada.remote_id).toEqual(expect.any(String));
    const archiveOp = await wrote('DELETE', `/unified/user-directory/users/${ada.remote_id}?${base()}`);

    // roster: only people of the test's own domain are managed; the seeded ones are excluded
    const domains = [...new Set(seeded.map((user) => user.username.split('@')[1]))];
    expect((await api(stack, 'PUT', `/unified/user-directory/roster-settings?${base()}`, { body: { exclude: { email_domains: domains } } })).status).toBe(200);
    const roster = await putRoster(stack, 'email,first_name,last_name,department\ngrace.audit@audit.test,Grace,Hopper,Navy\n', 'text/csv');
    expect(roster.status).toBe(202);
    const runId = (roster.body.roster_run as Json).id as string;
    await completedRun(stack, runId);

    // console: a department changed in KnowBe4, seen by the next sync
    const edited = seeded[0];
    const consoleEdit = await fetch(`${stack.sandbox.url}/_sandbox/tenants/${stack.tenant.id}/users/${edited.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ department: 'Audit Dept' }),
    });
    expect(consoleEdit.status).toBe(200);
    const consoleRun = await syncAndWait();
    await syncAndWait(); // nothing changed since: nothing more is recorded

    const events = (await allEvents()).slice(initial.length);
    const brief = events.map((event) => [event.type, event.resource.user?.email, event.actor.type]);
    expect(brief).toEqual([
      ['user.created', 'ada.audit@audit.test', 'api_key'],
      ['user.updated', 'ada.audit@audit.test', 'api_key'],
      ['group.created', undefined, 'api_key'],
      ['user.archived', 'ada.audit@audit.test', 'api_key'],
      ['user.created', 'grace.audit@audit.test', 'roster_run'],
      ['user.updated', edited.username.toLowerCase(), 'knowbe4-console'],
    ]);
    const [create, update, groupCreate, archive, rosterCreate, consoleUpdate] = events;
    expect(groupCreate).toMatchObject({ source: { operation_id: groupOp }, resource: { group: { name: 'Audit Group' } }, changes: [{ field: 'name', from: null, to: 'Audit Group' }] });
    expect(create).toMatchObject({ actor: { type: 'api_key', id: keyId }, source: { operation_id: createOp }, request_id: expect.stringMatching(/^audit-e2e-post-/) });
    expect(create.changes).toEqual(expect.arrayContaining([{ field: 'department', from: null, to: 'R&D' }, { field: 'username', from: null, to: 'ada.audit@audit.test' }]));
    expect(update).toMatchObject({ source: { operation_id: updateOp }, changes: [{ field: 'department', from: 'R&D', to: 'Engineering' }] });
    expect(archive).toMatchObject({ source: { operation_id: archiveOp }, changes: [{ field: 'status', from: 'active', to: 'inactive' }] });
    expect(rosterCreate).toMatchObject({ actor: { type: 'roster_run', id: runId }, source: { roster_run_id: runId } });
    expect(consoleUpdate).toMatchObject({
      actor: { type: 'knowbe4-console', id: null },
      source: { sync_run_id: consoleRun },
      changes: [{ field: 'department', from: edited.department, to: 'Audit Dept' }],
    });

    // history: by the Reporting id and by the SCIM id alike, in order
    for (const id of [ada.remote_id, created.scim_id]) {
      const history = await api<Page>(stack, 'GET', `/unified/user-directory/users/${id}/history?${base()}`);
      expect(history.status).toBe(200);
      expect(history.body.result.map((event) => event.type)).toEqual(['user.created', 'user.updated', 'user.archived']);
    }
    expect((await allEvents('&actor=knowbe4-console&type=user.updated')).map((event) => event.id)).toContain(consoleUpdate.id);
    expect(await allEvents(`&actor=api_key:${keyId}`)).toHaveLength(4);
  });

  it('verifies the chain, signs a checkpoint that verifies, refuses a forged one, and exports every entry as NDJSON and CSV', async () => {
    const verify = await api(stack, 'GET', `/audit-events/verify?${base()}`);
    const total = (await allEvents()).length;
    expect(verify.body).toMatchObject({ ok: true, checked: total, first_broken: null });

    const checkpoint = await api<Json>(stack, 'POST', '/audit-events/checkpoints', { body: { integrated_account_id: stack.accountId } });
    expect(checkpoint.status).toBe(201);
    expect(checkpoint.body).toMatchObject({ integrated_account_id: stack.accountId, seq: String(total), head_hash: verify.body.head && (verify.body.head as Json).hash });
    expect((await api(stack, 'POST', '/audit-events/checkpoints/verify', { body: checkpoint.body })).body).toMatchObject({ valid: true, reason: null });
    const forged = { ...checkpoint.body, seq: String(total - 1) };
    expect((await api(stack, 'POST', '/audit-events/checkpoints/verify', { body: forged })).body).toMatchObject({ valid: false, reason: 'signature_invalid' });

    const ndjson = await fetch(`${stack.gateway.url}/audit-events/export?${base()}&format=ndjson`, { headers: { authorization: `Bearer ${stack.apiKey}` } });
    expect(ndjson.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = (await ndjson.text()).trim().split('\n').map((line) => JSON.parse(line) as AuditEvent);
    expect(lines.map((line) => line.seq)).toEqual(Array.from({ length: total }, (_, i) => String(i + 1)));
    const csv = await fetch(`${stack.gateway.url}/audit-events/export?${base()}&format=csv&type=user.archived`, { headers: { authorization: `Bearer ${stack.apiKey}` } });
    const rows = (await csv.text()).trim().split('\r\n');
    expect(rows[0]).toMatch(/^id,integrated_account_id,seq,occurred_at,type,/);
    expect(rows.slice(1).every((row) => row.includes(',user.archived,'))).toBe(true);
  });

  it('answers 404 for an account of another workspace and 400 for a bad filter', async () => {
    expect((await api(stack, 'GET', `/audit-events?integrated_account_id=00000000-0000-4000-8000-000000000000`)).status).toBe(404);
    expect((await api(stack, 'GET', `/audit-events?${base()}&type=user.exploded`)).status).toBe(400);
    expect((await api(stack, 'GET', `/audit-events?${base()}&next_cursor=forged.cursor`)).status).toBe(400);
  });
});
