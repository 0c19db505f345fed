import { DIRECTORY_EVENT_TYPES, TOPICS } from '@kb4/contracts';
import { OperationMirrorRepository } from '@kb4/persistence';
import { DataSource } from 'typeorm';
import type { RunningSandbox, TenantCredentials } from '../../apps/knowbe4-sandbox/src/sandbox';
import { PollerStack, sandboxCall, startPollerStack, syncAndWait } from './support';

describe('poller: users created through SCIM and hard-deleted in the KnowBe4 console leave the mirror', () => {
  let stack: PollerStack | undefined;
  let sandbox: RunningSandbox;
  let tenant: TenantCredentials;
  let dataSource: DataSource;
  let accountId: string;
  const admin = (path: string): string => `${sandbox.url}/_sandbox/tenants/${tenant.id}${path}`;

  /** What the provisioner does for a create: SCIM POST /Users, then the mirror row keyed by the SCIM id. */
  async function createThroughScim(email: string, mirrorEmail = email): Promise<{ scimId: string; reportingId: number }> {
    const created = (await sandboxCall(`${tenant.scim_base_url}/Users`, 'POST', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: email,
      name: { givenName: 'Ghost', familyName: 'Candidate' },
      emails: [{ value: email, primary: true }],
      active: true,
    }, { authorization: `Bearer ${tenant.scim_token}` })) as { id: string };
    const record = { id: created.id, username: mirrorEmail, first_name: 'Ghost', last_name: 'Candidate', status: 'active' };
    await dataSource.transaction((manager) =>
      new OperationMirrorRepository(dataSource).saveUser(manager, accountId, null, {
        scimId: created.id,
        provisioningGuid: null,
        emailLower: mirrorEmail.toLowerCase(),
        employeeNumber: null,
        status: 'active',
        firstName: 'Ghost',
        lastName: 'Candidate',
        department: null,
        record,
        contentHash: 'scim',
      }),
    );
    const listed = (await (
      await fetch(`${tenant.reporting_base_url}/users?per_page=500`, { headers: { authorization: `Bearer ${tenant.reporting_api_key}` } })
    ).json()) as Array<{ id: number; email: string }>;
    return { scimId: created.id, reportingId: listed.find((u) => u.email.toLowerCase() === email.toLowerCase())!.id };
  }

  /** The grace period passing: the row was last written an hour ago. */
  async function age(scimId: string): Promise<void> {
    await dataSource.query(`UPDATE directory_users SET updated_at = now() - interval '1 hour' WHERE account_id = $1 AND scim_id = $2`, [accountId, scimId]);
  }

  async function rowOf(scimId: string): Promise<{ remote_id: string | null } | undefined> {
    const [row] = await dataSource.query(`SELECT remote_id FROM directory_users WHERE account_id = $1 AND scim_id = $2`, [accountId, scimId]);
    return row;
  }

  async function syncOnce(): Promise<{ counts: Record<string, number>; events: Array<{ event_type: string; remote_id: string; message_key: string }> }> {
    const run = await syncAndWait(dataSource, accountId);
    const { id } = run;
    expect(run.status).toBe('completed');
    const events = await dataSource.query(
      `SELECT event_type, message_key, payload->'data'->>'remote_id' AS remote_id FROM outbox_events WHERE topic = $1 AND payload->'data'->>'sync_run_id' = $2`,
      [TOPICS.directoryEvents, id],
    );
    return { counts: run.counts, events };
  }

  beforeAll(async () => {
    stack = await startPollerStack({
      label: 'ghosts',
      sandboxTenant: { seed: 91, users: 20, region: 'us' },
      env: { OUTBOX_RELAY_ENABLED: 'false', SYNC_ENROLLMENTS: 'false', SYNC_GHOST_GRACE_SECONDS: '600' },
    });
    ({ sandbox, tenant, dataSource, accountId } = stack);
    expect(stack.initial.status).toBe('completed');
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('waits out the grace period, then confirms the 404 with SCIM and emits user.deleted', async () => {
    const ghost = await createThroughScim('ghost.one@example.com');
    // hard-deleted in the console before any sync saw it
    await sandboxCall(admin(`/users/${ghost.reportingId}`), 'DELETE');

    // within the grace period (the Reporting API may simply lag behind SCIM): kept
    const early = await syncOnce();
    expect(early.events.filter((e) => e.event_type === DIRECTORY_EVENT_TYPES.userDeleted)).toEqual([]);
    expect(await rowOf(ghost.scimId)).toEqual({ remote_id: null });

    await age(ghost.scimId);
    const run = await syncOnce();
    expect(run.events.filter((e) => e.event_type === DIRECTORY_EVENT_TYPES.userDeleted)).toEqual([
      { event_type: DIRECTORY_EVENT_TYPES.userDeleted, remote_id: ghost.scimId, message_key: `${accountId}:user:${ghost.scimId}` },
    ]);
    expect(run.counts.users_deleted).toBe(1);
    expect(await rowOf(ghost.scimId)).toBeUndefined();

    // said once: the next run has nothing more to say about it
    const after = await syncOnce();
    expect(after.events.filter((e) => e.event_type === DIRECTORY_EVENT_TYPES.userDeleted)).toEqual([]);
  }, 120_000);

  it('keeps a row no sync matched while SCIM still has the user', async () => {
    // the Reporting API lists the user under another address than the mirror row has, so no run matches them
    const kept = await createThroughScim('ghost.two@example.com', 'ghost.two.old@example.com');
    await age(kept.scimId);
    const run = await syncOnce();
    expect(run.events.filter((e) => e.event_type === DIRECTORY_EVENT_TYPES.userDeleted)).toEqual([]);
    expect(await rowOf(kept.scimId)).toEqual({ remote_id: null });
  }, 120_000);
  it('asks about a different ghost each run when it may ask about only some, so none is starved', async () => {
    // one question per run: without a rotating start, every run would ask about the oldest row SCIM still has
    await stack!.restartPoller({ SYNC_DELETE_CONFIRM_LIMIT: '1' });
    const kept = await createThroughScim('ghost.three@example.com', 'ghost.three.old@example.com');
    const gone = await createThroughScim('ghost.four@example.com');
    await sandboxCall(admin(`/users/${gone.reportingId}`), 'DELETE');
    await age(kept.scimId);
    await age(gone.scimId);
    let runs = 0;
    while ((await rowOf(gone.scimId)) !== undefined && runs < 40) {
      await syncOnce();
      runs += 1;
    }
    expect(await rowOf(gone.scimId)).toBeUndefined();
    expect(await rowOf(kept.scimId)).toEqual({ remote_id: null });
  }, 300_000);
});
