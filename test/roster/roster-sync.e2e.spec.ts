import { api, ProvisioningStack, startProvisioningStack } from '../provisioner/support/provisioning-stack';
import { ROSTER_RUN_EVENT_TYPES } from '@kb4/contracts';
import {
  collectRosterRunEvents,
  completedRun,
  createGroups,
  csvOf,
  DEPARTMENTS,
  ndjsonOf,
  person,
  Person,
  putRoster,
  RosterRunEvent,
  rosterRunEventsOf,
  tenantState,
} from './roster-support';

jest.setTimeout(900_000);

// `npm test` runs 300 people to stay inside its time budget; `npm run test:acceptance:roster` runs issue 13's 5,000
const PEOPLE = Number(process.env.ROSTER_E2E_PEOPLE ?? 300);

describe('desired-state roster sync through gateway, Kafka, provisioner and the sandbox', () => {
  let stack: ProvisioningStack;
  let collected: { events: RosterRunEvent[]; stop: () => Promise<void> } | undefined;
  // the runs accepted with 202: each has its own events on knowbe4.roster.runs
  const acceptedRuns: string[] = [];

  beforeAll(async () => {
    stack = await startProvisioningStack('kb4_test_roster', { users: 0, concurrency: 16 });
    collected = await collectRosterRunEvents(stack.accountId);
    await createGroups(stack, DEPARTMENTS);
  });

  afterAll(async () => {
    await collected?.stop();
    await stack?.stop();
  });

  const everyone: Person[] = Array.from({ length: PEOPLE }, (_, i) => person(i));
  // the roster the tenant was last synced to
  let current: Person[] = everyone;

  it(`creates a ${PEOPLE}-person roster in an empty tenant, predicted exactly by its dry run`, async () => {
    const dry = await putRoster(stack, csvOf(everyone), 'text/csv', '&dry_run=true');
    expect(dry.status).toBe(200);
    expect(dry.body.plan).toMatchObject({ rows: PEOPLE, counts: { create: PEOPLE, update: 0, archive: 0, reactivate: 0, add_member: 0, remove_member: 0 }, needs_force: false });

    const started = Date.now();
    const accepted = await putRoster(stack, ndjsonOf(everyone), 'application/x-ndjson');
    expect(accepted.status).toBe(202);
    const run = await completedRun(stack, (accepted.body.roster_run as { id: string }).id);
    console.log(`roster run of ${PEOPLE} creates completed in ${Date.now() - started} ms`);
    expect(run).toMatchObject({ status: 'completed', counts: { planned: PEOPLE, done: PEOPLE, failed: 0 }, errors: [] });
    const runId = (accepted.body.roster_run as { id: string }).id;
    acceptedRuns.push(runId);
    // its own events on Kafka: started (with the plan's size), then completed (with the final counts)
    const events = await rosterRunEventsOf(collected!, runId, ROSTER_RUN_EVENT_TYPES.completed);
    expect(events.map((e) => e.type)).toEqual([ROSTER_RUN_EVENT_TYPES.started, ROSTER_RUN_EVENT_TYPES.completed]);
    expect(events.every((e) => e.key === stack.accountId)).toBe(true);
    expect(events[0].data).toMatchObject({ roster_run_id: runId, forced: false, counts: { planned: PEOPLE, done: 0, failed: 0 } });
    expect(events[1].data).toMatchObject({ roster_run_id: runId, counts: { planned: PEOPLE, done: PEOPLE, failed: 0 }, completed_at: expect.any(String) });

    const state = tenantState(stack);
    expect(state.size).toBe(PEOPLE);
    for (const p of everyone) expect(state.get(p.email)).toEqual({ status: 'active', department: p.department, groups: [p.department], count: 1 });
  });

  it('applies 50 new hires, 200 movers and 30 leavers exactly as the dry run predicted, and ends in the desired state', async () => {
    const leavers = new Set(everyone.slice(0, 30).map((p) => p.email));
    const movers = everyone.slice(30, 230).map((p, i) => ({ ...p, department: DEPARTMENTS[(DEPARTMENTS.indexOf(p.department) + 1 + (i % 2)) % DEPARTMENTS.length] }));
    const hires = Array.from({ length: 50 }, (_, i) => person(PEOPLE + i));
    const desired = [...movers, ...everyone.slice(230), ...hires];

    const dry = await putRoster(stack, csvOf(desired), 'text/csv', '&dry_run=true');
    expect(dry.status).toBe(200);
    const counts = { create: 50, update: 200, archive: 30, reactivate: 0, add_member: 200, remove_member: 200 };
    expect(dry.body.plan).toMatchObject({ counts, unchanged: PEOPLE - 230 });
    // the whole plan, item by item: exactly those people
    const items = await allItems((dry.body.plan as { roster_run_id: string }).roster_run_id);
    expect(items.filter((i) => i.action === 'archive').map((i) => i.email).sort()).toEqual([...leavers].sort());
    expect(items.filter((i) => i.action === 'create').map((i) => i.email).sort()).toEqual(hires.map((p) => p.email).sort());
    const updates = items.filter((i) => i.action === 'update');
    expect(updates.map((i) => i.email).sort()).toEqual(movers.map((p) => p.email).sort());
    expect(updates.every((i) => (i.changes as Array<{ field: string }>).map((c) => c.field).join() === 'department')).toBe(true);

    const accepted = await putRoster(stack, csvOf(desired), 'text/csv');
    expect(accepted.status).toBe(202);
    expect(accepted.body.roster_run).toMatchObject({ plan: counts });
    const run = await completedRun(stack, (accepted.body.roster_run as { id: string }).id);
    expect(run).toMatchObject({ counts: { planned: 680, done: 680, failed: 0 } });
    acceptedRuns.push((accepted.body.roster_run as { id: string }).id);

    const state = tenantState(stack);
    expect(state.size).toBe(PEOPLE + 50);
    for (const p of desired) expect(state.get(p.email)).toEqual({ status: 'active', department: p.department, groups: [p.department], count: 1 });
    for (const email of leavers) expect(state.get(email)?.status).toBe('archived');
    current = desired;

    // the same roster again is a no-op plan
    const again = await putRoster(stack, ndjsonOf(desired), 'application/x-ndjson', '&dry_run=true');
    expect(again.body.plan).toMatchObject({ counts: { create: 0, update: 0, archive: 0, reactivate: 0, add_member: 0, remove_member: 0 }, unchanged: desired.length });
  });

  it('refuses a roster missing 40% of the people without force, and one with a duplicate email naming both lines; neither changes anything', async () => {
    const before = await stack.query<{ n: string }>(`SELECT count(*) AS n FROM operations`);
    const truncated = current.slice(Math.ceil(current.length * 0.4));
    const refused = await putRoster(stack, csvOf(truncated), 'text/csv');
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ message: expect.stringContaining('force=true'), details: { max_archive_share: 0.1 } });

    const rows = current.slice(100, 110);
    const duplicated = [...rows, { ...person(999_999), email: rows[2].email }];
    const duplicate = await putRoster(stack, csvOf(duplicated), 'text/csv');
    expect(duplicate.status).toBe(422);
    // CSV lines: the header is line 1, so rows[2] is line 4 and the duplicate line 12
    expect(duplicate.body).toMatchObject({ details: { errors: [{ line: 4, field: 'username', lines: [4, 12], reason: expect.stringContaining(rows[2].email) }] } });

    const after = await stack.query<{ n: string }>(`SELECT count(*) AS n FROM operations`);
    expect(after).toEqual(before);
  });

  async function allItems(runId: string): Promise<Array<Record<string, unknown>>> {
    const items: Array<Record<string, unknown>> = [];
    let cursor: string | null = null;
    do {
      const page: { body: { result: Array<Record<string, unknown>>; next_cursor: string | null } } = await api<{ result: Array<Record<string, unknown>>; next_cursor: string | null }>(
        stack,
        'GET',
        `/roster-runs/${runId}/items?limit=1000${cursor ? `&next_cursor=${cursor}` : ''}`,
      );
      items.push(...page.body.result);
      cursor = page.body.next_cursor;
    } while (cursor);
    return items;
  }

  it('a roster run survives a SIGKILL of the provisioner halfway: it finishes after the restart with no duplicate users', async () => {
    const hires = Array.from({ length: 300 }, (_, i) => person(PEOPLE + 1000 + i));
    const run = await putRoster(stack, ndjsonOf([...current, ...hires]), 'application/x-ndjson');
    expect(run.status).toBe(202);
    const id = (run.body.roster_run as { id: string }).id;
    for (let round = 0; round < 600; round++) {
      const progress = await api(stack, 'GET', `/roster-runs/${id}`);
      if ((progress.body.counts as { done: number }).done >= 100) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await stack.provisioner.kill();
    await stack.restartProvisioner();
    const done = await completedRun(stack, id);
    expect(done).toMatchObject({ counts: { planned: 300, done: 300, failed: 0 } });
    acceptedRuns.push(id);
    const state = tenantState(stack);
    for (const p of hires) expect(state.get(p.email)).toEqual({ status: 'active', department: p.department, groups: [p.department], count: 1 });
    expect([...state.values()].filter((user) => user.count !== 1)).toEqual([]);
  });

  it('puts every accepted run on knowbe4.roster.runs exactly once as started, then completed; dry runs and refused rosters emit nothing', async () => {
    for (const id of acceptedRuns) await rosterRunEventsOf(collected!, id, ROSTER_RUN_EVENT_TYPES.completed);
    const byRun = new Map<string, string[]>();
    for (const event of collected!.events) byRun.set(String(event.data.roster_run_id), [...(byRun.get(String(event.data.roster_run_id)) ?? []), event.type]);
    expect([...byRun.keys()].sort()).toEqual([...acceptedRuns].sort());
    for (const types of byRun.values()) expect(types).toEqual([ROSTER_RUN_EVENT_TYPES.started, ROSTER_RUN_EVENT_TYPES.completed]);
  });
});
