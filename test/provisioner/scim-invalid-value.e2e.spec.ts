import { TOPICS } from '@kb4/contracts';
import { api, finishedOperation, ProvisioningStack, startProvisioningStack } from './support/provisioning-stack';

jest.setTimeout(90_000);

/**
 * Issue 17: a SCIM `400 invalidValue` (RFC 7644 §3.12) is the caller's error, not KnowBe4 being down — the operation
 * fails at once with KnowBe4's own message, is not retried, and leaves nothing in the DLQ to replay.
 */
describe('provisioner: a SCIM 400 invalidValue fails the operation at once', () => {
  let stack: ProvisioningStack;
  const accountQuery = (): string => `integrated_account_id=${stack.accountId}`;

  beforeAll(async () => {
    stack = await startProvisioningStack('kb4_test_prov_invalid', { users: 3 });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  async function scimId(operation: Record<string, unknown>): Promise<string> {
    expect(operation).toMatchObject({ status: 'succeeded' });
    return (operation.scim_response as { scim_id: string }).scim_id;
  }

  it('adds a member KnowBe4 no longer has: failed, attempts 1, KnowBe4 detail in the error, no retry, no DLQ entry', async () => {
    const created = await api(stack, 'POST', `/unified/user-directory/users?${accountQuery()}`, { body: { username: 'vanished@example.com', first_name: 'Van' } });
    expect(created.status).toBe(202);
    const userScimId = await scimId(await finishedOperation(stack, created.body.id as string));
    const group = await api(stack, 'POST', `/unified/user-directory/groups?${accountQuery()}`, { body: { name: 'Invalid Value Group' }, headers: { prefer: 'wait=20' } });
    const groupScimId = await scimId(group.body);

    // Deleted in the KnowBe4 console: our mirror still knows the user, so the provisioner sends its SCIM id.
    const removed = await fetch(`${stack.sandbox.url}/_sandbox/tenants/${stack.tenant.id}/users/${userScimId}`, { method: 'DELETE' });
    expect(removed.ok).toBe(true);

    const accepted = await api(stack, 'POST', `/unified/user-directory/groups/${groupScimId}/members?${accountQuery()}`, { body: { user_ids: [userScimId] } });
    expect(accepted.status).toBe(202);
    const failed = await finishedOperation(stack, accepted.body.id as string);
    expect(failed).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { code: 'scim_invalidValue', retryable: false, status: 400, truto_error_insight: 'validation_error', attempts: 1 },
    });
    const error = failed.error as { message: string; raw_response: { body: { scimType: string; detail: string } } };
    // KnowBe4's own words reach the caller, and one HTTP request was made (the client reports "after N attempts" otherwise).
    expect(error.message).toContain(`no User has the id "${userScimId}"`);
    expect(error.message).not.toMatch(/after \d+ attempts/);
    expect(error.raw_response.body).toMatchObject({ scimType: 'invalidValue', detail: expect.stringContaining(userScimId) });

    const dlq = await stack.query(`SELECT payload->'data'->'error'->>'code' AS code FROM outbox_events WHERE topic = $1 AND payload->>'subject' = $2`, [TOPICS.provisioningDlq, `operations/${accepted.body.id as string}`]);
    expect(dlq).toEqual([]);
    const results = await stack.query<{ type: string }>(`SELECT payload->>'type' AS type FROM outbox_events WHERE topic = $1 AND payload->>'subject' = $2`, [
      TOPICS.provisioningResults,
      `operations/${accepted.body.id as string}`,
    ]);
    expect(results.map((row) => row.type)).toEqual(['knowbe4.operation.failed']);

    const group2 = (await (await fetch(`${stack.tenant.scim_base_url}/Groups/${groupScimId}`, { headers: { authorization: `Bearer ${stack.tenant.scim_token}` } })).json()) as { members?: unknown[] };
    expect(group2.members ?? []).toEqual([]);
  });
});
