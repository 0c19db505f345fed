import { startSandbox, type RunningSandbox, type TenantCredentials } from '../../apps/knowbe4-sandbox/src/sandbox';
import { ScimClient, ScimRequestError, seededRandom, type KnowBe4RequestEvent } from '@kb4/knowbe4';
import { SCIM_KNOWBE4_USER_SCHEMA } from '@kb4/mapping';

/** Issue 17: a SCIM 400 `invalidValue` (RFC 7644 §3.12) is the caller's error — typed, final, never retried. */
describe('ScimClient meets 400 invalidValue from the KnowBe4 sandbox', () => {
  let sandbox: RunningSandbox;
  let tenant: TenantCredentials;
  const events: KnowBe4RequestEvent[] = [];
  let scim: ScimClient;

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0 });
    tenant = sandbox.createTenant({ seed: 17, users: 5, rate_limit_profile: 'off' });
    // retries enabled, so a retried 400 would show up as a second request
    scim = new ScimClient({
      baseUrl: tenant.scim_base_url,
      token: tenant.scim_token,
      retry: { random: seededRandom(3), baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 4 },
      onRequest: (event) => events.push(event),
    });
  });
  afterAll(() => sandbox.close());
  beforeEach(() => {
    events.length = 0;
  });

  async function refused(call: Promise<unknown>): Promise<ScimRequestError> {
    const error = await call.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ScimRequestError);
    return error as ScimRequestError;
  }

  it('throws a non-transient ScimRequestError carrying KnowBe4 detail after one request (a dateTime given a UUID)', async () => {
    const error = await refused(
      scim.createUser({ userName: 'typed@example.com', [SCIM_KNOWBE4_USER_SCHEMA]: { customDate1: '6f1c1b0e-8a4e-4d43-9c43-3c7a0cdb6d0a' } }),
    );
    expect(error).toMatchObject({ status: 400, scimType: 'invalidValue', transient: false, insight: 'invalid_request_error', attempts: 1 });
    expect(error.message).toContain(`Attribute '${SCIM_KNOWBE4_USER_SCHEMA}:customDate1' must be an xsd:dateTime`);
    expect(events.map((e) => [e.method, e.status, e.outcome])).toEqual([['POST', 400, 'failure']]);
  });

  it('throws the same for a Group PATCH adding a member that is no User, and the group is left as it was', async () => {
    const group = await scim.createGroup({ displayName: 'Client group' });
    events.length = 0;
    const error = await refused(scim.addGroupMembers(group.id!, ['00000000-0000-4000-8000-000000000000']));
    expect(error).toMatchObject({ status: 400, scimType: 'invalidValue', attempts: 1 });
    expect(error.message).toContain('no User has the id "00000000-0000-4000-8000-000000000000"');
    expect(events).toHaveLength(1);
    expect((await scim.getGroup(group.id!)).members ?? []).toEqual([]);
  });
});
