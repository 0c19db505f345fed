import { api, finishedOperation, ProvisioningStack, startProvisioningStack } from './support/provisioning-stack';

jest.setTimeout(120_000);

async function setFaults(stack: ProvisioningStack, rules: unknown[] | null): Promise<void> {
  const response = await fetch(`${stack.sandbox.url}/_sandbox/faults`, {
    method: rules ? 'PUT' : 'DELETE',
    headers: { 'content-type': 'application/json' },
    body: rules ? JSON.stringify({ seed: 7, rules }) : undefined,
  });
  expect(response.ok).toBe(true);
}

async function submitCreates(stack: ProvisioningStack, prefix: string, count: number, parallel = 25): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < count; start += parallel) {
    const answers = await Promise.all(
      Array.from({ length: Math.min(parallel, count - start) }, (_, i) =>
        api(stack, 'POST', `/unified/user-directory/users?integrated_account_id=${stack.accountId}`, {
          body: { username: `${prefix}${start + i}@example.com`, first_name: `N${start + i}` },
        }),
      ),
    );
    for (const answer of answers) {
      expect(answer.status).toBe(202);
      ids.push(answer.body.id as string);
    }
  }
  return ids;
}

/** Waits until no operation of the account is queued or running; counts come from the database. */
async function settledCounts(stack: ProvisioningStack): Promise<Record<string, number>> {
  for (let round = 0; round < 300; round++) {
    const rows = await stack.query<{ status: string; n: string }>(`SELECT status, count(*) AS n FROM operations WHERE account_id = $1 GROUP BY status`, [stack.accountId]);
    const counts = Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]));
    if (!counts.queued && !counts.running) return counts;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('operations did not settle');
}

async function scimUserNames(stack: ProvisioningStack, prefix: string): Promise<string[]> {
  const names: string[] = [];
  for (let startIndex = 1; ; startIndex += 1000) {
    const response = await fetch(`${stack.tenant.scim_base_url}/Users?count=1000&startIndex=${startIndex}`, { headers: { authorization: `Bearer ${stack.tenant.scim_token}` } });
    const list = (await response.json()) as { Resources: Array<{ userName: string }> };
    names.push(...list.Resources.map((u) => u.userName).filter((name) => name.startsWith(prefix)));
    if (list.Resources.length < 1000) return names;
  }
}

describe('provisioner under KnowBe4 faults and crashes', () => {
  let stack: ProvisioningStack;

  beforeAll(async () => {
    stack = await startProvisioningStack('kb4_test_prov_faults', { users: 5, concurrency: 16 });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('applies every command within its retry budget while SCIM answers 30% 503s and some 429s', async () => {
    await setFaults(stack, [
      { path_prefix: '/scim/v2/Users', error_rate: 0.3, statuses: [503] },
      { path_prefix: '/scim/v2/Users', error_rate: 0.05, statuses: [429] },
    ]);
    try {
      const ids = await submitCreates(stack, 'flaky', 60);
      const results = await Promise.all(ids.map((id) => finishedOperation(stack, id)));
      expect(results.filter((op) => op.status !== 'succeeded')).toEqual([]);
      expect(new Set(await scimUserNames(stack, 'flaky')).size).toBe(60);
    } finally {
      await setFaults(stack, null);
    }
  });

  it('dead-letters a command that keeps failing, lists it as failed, and replays it once the fault is lifted', async () => {
    await setFaults(stack, [{ path_prefix: '/scim/v2/Users', statuses: [503] }]);
    let id: string;
    try {
      const accepted = await api(stack, 'POST', `/unified/user-directory/users?integrated_account_id=${stack.accountId}`, { body: { username: 'doomed@example.com' } });
      id = accepted.body.id as string;
      const failed = await finishedOperation(stack, id);
      expect(failed).toMatchObject({ status: 'failed', attempts: 5, error: { code: 'remote_error', retryable: true, status: 503, truto_error_insight: 'remote_error' } });
    } finally {
      await setFaults(stack, null);
    }
    const dlq = await stack.query<{ payload: { data: { attempts: number; error: { status: number } } } }>(
      `SELECT payload FROM outbox_events WHERE topic = 'knowbe4.provisioning.dlq' AND payload->>'subject' = $1`,
      [`operations/${id}`],
    );
    expect(dlq.map((row) => row.payload.data)).toMatchObject([{ attempts: 5, error: { status: 503 } }]);
    const listed = await api<{ result: Array<{ id: string }> }>(stack, 'GET', `/operations?status=failed&integrated_account_id=${stack.accountId}`);
    expect(listed.body.result.map((op) => op.id)).toContain(id);

    const retried = await api(stack, 'POST', `/operations/${id}/retry`);
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ status: 'queued' });
    expect(await finishedOperation(stack, id)).toMatchObject({ status: 'succeeded', attempts: 6, error: null });
    expect((await api(stack, 'POST', `/operations/${id}/retry`)).status).toBe(409);
  });

  it('survives SIGKILL with 1,000 commands in flight: after a restart all succeed and no user is duplicated', async () => {
    const ids = await submitCreates(stack, 'crash', 1000, 50);
    // Kill once a part of the work is done, so some commands are mid-flight (SCIM called, outcome unrecorded).
    for (let round = 0; round < 600; round++) {
      const [row] = await stack.query<{ n: string }>(`SELECT count(*) AS n FROM operations WHERE account_id = $1 AND status = 'succeeded' AND request->>'path' LIKE '%users' AND request->'body'->>'username' LIKE 'crash%'`, [stack.accountId]);
      if (Number(row.n) >= 150) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await stack.provisioner.kill();
    const [before] = await stack.query<{ n: string }>(`SELECT count(*) AS n FROM operations WHERE id = ANY($1::uuid[]) AND status = 'succeeded'`, [ids]);
    expect(Number(before.n)).toBeLessThan(1000);
    await stack.restartProvisioner();
    const counts = await settledCounts(stack);
    expect(counts.failed ?? 0).toBe(0);
    const [after] = await stack.query<{ n: string }>(`SELECT count(*) AS n FROM operations WHERE id = ANY($1::uuid[]) AND status = 'succeeded'`, [ids]);
    expect(Number(after.n)).toBe(1000);
    const names = await scimUserNames(stack, 'crash');
    expect(names).toHaveLength(1000);
    expect(new Set(names).size).toBe(1000);
    // Exactly one outcome per operation: a command cut off mid-flight was re-applied, never recorded twice.
    const results = await stack.query<{ n: string }>(
      `SELECT count(*) AS n FROM outbox_events WHERE topic = 'knowbe4.provisioning.results' AND payload->>'subject' = ANY($1::text[]) GROUP BY payload->>'subject'`,
      [ids.map((id) => `operations/${id}`)],
    );
    expect(results).toHaveLength(1000);
    expect(results.every((row) => row.n === '1')).toBe(true);
    const processed = await stack.query<{ n: string }>(`SELECT count(*) AS n FROM processed_commands WHERE operation_id = ANY($1::uuid[])`, [ids]);
    expect(Number(processed[0].n)).toBe(1000);
  });
});
