import { api, ProvisioningStack, ServiceProcess, startProvisioningStack, startService } from './support/provisioning-stack';

jest.setTimeout(300_000);

async function succeededCount(stack: ProvisioningStack, ids: string[]): Promise<number> {
  const [row] = await stack.query<{ n: string }>(`SELECT count(*) AS n FROM operations WHERE id = ANY($1::uuid[]) AND status = 'succeeded'`, [ids]);
  return Number(row.n);
}

async function handledBy(service: ServiceProcess): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  const line = text.split('\n').find((entry) => /^kb4_provisioner_commands_total\{[^}]*outcome="succeeded"/.test(entry));
  return line ? Number(line.split(' ').pop()) : 0;
}

async function setScimLatency(stack: ProvisioningStack, latencyMs: number): Promise<void> {
  const response = await fetch(`${stack.sandbox.url}/_sandbox/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ rules: [{ path_prefix: '/scim/v2/Users', latency_ms: latencyMs }] }),
  });
  expect(response.ok).toBe(true);
}

const consumerLines = (output: string): string =>
  output
    .split('\n')
    .filter((line) => /consumer group|revoked|rewind|crashed|gave up|offset commit/.test(line) && !line.includes('/health/ready'))
    .join('\n');
const consumerLog = (service: ServiceProcess): string => consumerLines(service.output());

/** Polls a condition; the error names what was awaited and shows both replicas' consumer logs. */
async function until(what: string, condition: () => Promise<boolean>, replicas: () => ServiceProcess[]): Promise<void> {
  for (let round = 0; round < 1200; round++) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}\n${replicas().map((replica) => `${replica.name}:\n${consumerLog(replica)}`).join('\n')}`);
}

describe('provisioner replicas in one consumer group', () => {
  let stack: ProvisioningStack;
  let second: ServiceProcess | undefined;

  beforeAll(async () => {
    stack = await startProvisioningStack('kb4_test_prov_rebalance', { users: 5, concurrency: 4, extraEnv: { LOG_LEVEL: 'info' } });
  });

  afterAll(async () => {
    await second?.stop();
    await stack?.stop();
  });

  it('applies every command exactly once when a second replica joins and partitions are revoked mid-flight', async () => {
    const replicas = (): ServiceProcess[] => [stack.provisioner, ...(second ? [second] : [])];
    // Slow SCIM keeps commands in flight while the group rebalances.
    await setScimLatency(stack, 300);
    const ids: string[] = [];
    for (let start = 0; start < 400; start += 50) {
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          api(stack, 'POST', `/unified/user-directory/users?integrated_account_id=${stack.accountId}`, { body: { username: `rebalance${start + i}@example.com` } }),
        ),
      );
      for (const answer of answers) ids.push(answer.body.id as string);
    }
    await until('the first replica to apply 40 commands', async () => (await succeededCount(stack, ids)) >= 40, replicas);
    // Until the second replica is a member, the first applies at most 2 commands a second (4 at a time, 2 s each):
    // however long the second takes to start and join, the first is still busy when its partitions are revoked.
    await setScimLatency(stack, 2_000);
    second = await startService('provisioner', stack.env, 120_000).catch((error: Error) => {
      throw new Error(`${error.message.split('\n')[0]}\nsecond replica:\n${consumerLines(error.message)}\nfirst replica:\n${consumerLog(stack.provisioner)}`);
    });
    // The revocation is over: the rest only has to be applied (at 300 ms a call this phase took ~13 s).
    await setScimLatency(stack, 50);
    await until('every operation to succeed', async () => (await succeededCount(stack, ids)) === ids.length, replicas);
    await fetch(`${stack.sandbox.url}/_sandbox/faults`, { method: 'DELETE' });

    // Both replicas did part of the work, and the first gave up partitions while it had commands in flight.
    expect(await handledBy(second)).toBeGreaterThan(0);
    expect(await handledBy(stack.provisioner)).toBeGreaterThan(0);
    expect(stack.provisioner.output()).toMatch(/partition revoked; its unfinished commands are left to the new owner/);
    // One attempt each and every user created (never adopted by a second application of the same command).
    const outcomes = await stack.query<{ attempts: number; action: string }>(
      `SELECT attempts, result->'scim'->>'action' AS action FROM operations WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    expect(outcomes.filter((row) => row.attempts !== 1 || row.action !== 'user_created')).toEqual([]);
    const results = await stack.query<{ n: string }>(
      `SELECT count(*) AS n FROM outbox_events WHERE topic = 'knowbe4.provisioning.results' AND payload->>'subject' = ANY($1::text[]) GROUP BY payload->>'subject'`,
      [ids.map((id) => `operations/${id}`)],
    );
    expect(results).toHaveLength(ids.length);
    expect(results.every((row) => row.n === '1')).toBe(true);
    // The sandbox filters on `userName eq` only: page through the tenant (5 seeded users + these).
    const listed = await fetch(`${stack.tenant.scim_base_url}/Users?count=1000`, { headers: { authorization: `Bearer ${stack.tenant.scim_token}` } });
    const names = ((await listed.json()) as { Resources: Array<{ userName: string }> }).Resources.map((user) => user.userName).filter((name) => name.startsWith('rebalance'));
    expect(new Set(names).size).toBe(ids.length);
    expect(names).toHaveLength(ids.length);
  });
});
