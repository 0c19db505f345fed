import { CredentialCipher } from '@kb4/persistence';
import type { RunningSandbox, TenantCredentials } from '../../apps/knowbe4-sandbox/src/sandbox';
import { call, createSandboxTenant, GatewayProcess, SandboxGatewayStack, startSandboxGateway, Tenant } from './support/gateway-harness';
import { rawRequest } from './support/raw-http';

/** `{"first_name": [[[…]]]}` nested `depth` levels in all (the object counts as one). */
function nestedBody(depth: number): string {
  return `{"first_name":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * Issue 10 findings 1, 3, 7, 8 and 9 against a gateway process in sandbox mode: hostile JSON (depth, sizes, NUL,
 * lone surrogates), oversized fields, bad credentials and SCIM base URLs are 400s naming the field, never 5xx.
 */
describe('hostile input at the gateway edge (gateway process + sandbox)', () => {
  let sandbox: RunningSandbox;
  let kb4: TenantCredentials;
  let gateway: GatewayProcess;
  let tenant: Tenant;
  let stack: SandboxGatewayStack | undefined;
  const credentialsKey = CredentialCipher.generateKey();

  beforeAll(async () => {
    stack = await startSandboxGateway({
      databasePrefix: 'gw_hostile',
      credentialsKey,
      sandboxTenant: { seed: 11, users: 5, region: 'us' },
      env: { API_RATE_LIMIT_PER_MINUTE: '1000000' },
      prepare: async (ready) => {
        tenant = await createSandboxTenant(ready, credentialsKey);
      },
    });
    ({ sandbox, kb4, gateway } = stack);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const usersPath = () => `/unified/user-directory/users?integrated_account_id=${tenant.accountId}`;
  const post = (path: string, body: unknown, method = 'POST') => call(gateway.url, path, { apiKey: tenant.apiKey, method, body });

  describe('finding 1: JSON nesting', () => {
    it('refuses a body nested 5,000 deep with a 400 naming the depth limit (it was a 500 after ~0.45 s of CPU)', async () => {
      const deep = await post(usersPath(), nestedBody(5000));
      expect(deep.status).toBe(400);
      expect(deep.body.message).toContain('deeper than 32 levels');
      const justOver = await post(usersPath(), nestedBody(33));
      expect(justOver.status).toBe(400);
      expect(justOver.body.message).toContain('deeper than 32 levels');
      // at the limit the body reaches validation, which names the field
      const atLimit = await post(usersPath(), nestedBody(32));
      expect(atLimit.status).toBe(400);
      expect(atLimit.body.message).not.toContain('deeper than');
      expect(atLimit.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'first_name', location: 'body' })]));
    });

    it('keeps /health/live answering while 8 clients send deeply nested bodies', async () => {
      const probe = async (): Promise<number> => {
        const started = performance.now();
        const response = await fetch(`${gateway.url}/health/live`);
        expect(response.status).toBe(200);
        await response.text();
        return performance.now() - started;
      };
      const baseline: number[] = [];
      for (let i = 0; i < 20; i++) baseline.push(await probe());

      const deepest = nestedBody(400_000); // 800 KB, under the 1 MB body limit
      let flooding = true;
      const statuses: number[] = [];
      const clients = Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 6; i++) statuses.push((await post(usersPath(), i % 2 ? deepest : nestedBody(5000))).status);
      });
      const underLoad: number[] = [];
      const prober = (async () => {
        while (flooding) underLoad.push(await probe());
      })();
      await Promise.all(clients);
      flooding = false;
      await prober;

      expect(statuses).toHaveLength(48);
      expect(new Set(statuses)).toEqual(new Set([400]));
      expect(underLoad.length).toBeGreaterThan(0);
      process.stdout.write(
        `[finding 1] /health/live median ${median(baseline).toFixed(1)} ms idle, ${median(underLoad).toFixed(1)} ms (max ${Math.max(...underLoad).toFixed(1)} ms, ${underLoad.length} probes) under 48 deep bodies from 8 clients\n`,
      );
    });
  });

  describe('finding 3 (input side): field lengths and list sizes', () => {
    it('refuses a 200,000-character first_name with a 400 naming the field (it was accepted and froze the mirror)', async () => {
      const response = await post(usersPath(), { first_name: 'x'.repeat(200_000), username: 'long@example.com' });
      expect(response.status).toBe(400);
      expect(response.body.details).toEqual([expect.objectContaining({ field: 'first_name', location: 'body' })]);
    });

    it('holds every write field to its documented limit, and accepts a value at the limit', async () => {
      const spec = (await call(gateway.url, '/docs-json')).body;
      const schema = spec.components.schemas.UserWriteRequest.properties;
      expect(schema.first_name.maxLength).toBe(255);
      expect(schema.username.maxLength).toBe(254);
      expect(schema.emails.maxItems).toBe(10);
      expect(spec.components.schemas.AddGroupMembersRequest.properties.user_ids.maxItems).toBe(500);

      const cases: Array<[string, Record<string, unknown>]> = [
        ['last_name', { last_name: 'y'.repeat(256) }],
        ['department', { department: 'd'.repeat(256) }],
        ['emails', { emails: Array.from({ length: 11 }, (_, i) => ({ email: `a${i}@example.com`, type: 'alias', is_primary: false })) }],
        ['phones.0.number', { phones: [{ number: '1'.repeat(65), type: 'work' }] }],
        ['manager.name', { manager: { name: 'm'.repeat(256), email: null } }],
        ['custom_fields.custom_field_1', { custom_fields: { custom_field_1: 'c'.repeat(256) } }],
      ];
      for (const [field, fields] of cases) {
        const response = await post(usersPath(), { username: 'limits@example.com', ...fields });
        expect({ field, status: response.status }).toEqual({ field, status: 400 });
        expect(response.body.details.map((d: { field: string }) => d.field)).toContain(field);
      }
      const group = await post(`/unified/user-directory/groups?integrated_account_id=${tenant.accountId}`, { name: 'g'.repeat(256) });
      expect(group.status).toBe(400);
      expect(group.body.details[0].field).toBe('name');

      const atLimit = await post(usersPath(), { username: 'at-limit@example.com', first_name: 'a'.repeat(255), last_name: 'b'.repeat(255) });
      expect(atLimit.status).toBe(202);
    });
  });

  describe('finding 7 (input side): NUL, lone surrogates and control characters', () => {
    it.each([
      ['NUL in first_name', '{"username":"nul@example.com","first_name":"a\\u0000b"}', 'first_name'],
      ['a lone surrogate in last_name', '{"username":"sur@example.com","last_name":"\\ud800x"}', 'last_name'],
      ['a lone low surrogate in a nested field', '{"username":"low@example.com","manager":{"name":"\\udc00","email":null}}', 'manager.name'],
      ['ESC in department', '{"username":"esc@example.com","department":"\\u001b[31m"}', 'department'],
      ['NUL in a key', '{"username":"key@example.com","a\\u0000b":1}', 'a?b'],
    ])('answers 400 naming the field for %s in a body', async (_name, body, field) => {
      const response = await post(usersPath(), body);
      expect(response.status).toBe(400);
      expect(response.body.details).toEqual([expect.objectContaining({ field, location: 'body' })]);
    });

    it('accepts emoji, right-to-left text and combining marks (valid surrogate pairs are not lone)', async () => {
      const response = await post(usersPath(), { username: 'unicode@example.com', first_name: 'Zoë 🦊', last_name: 'שלום', title: 'e\u0301' });
      expect(response.status).toBe(202);
    });

    it('answers 400 naming the field for NUL in an account label, a group name and a path or query parameter', async () => {
      const label = await post(`/integrated-accounts/${tenant.accountId}`, { label: 'a\u0000b' }, 'PATCH');
      expect(label.status).toBe(400);
      expect(label.body.details).toEqual([expect.objectContaining({ field: 'label', location: 'body' })]);
      const group = await post(`/unified/user-directory/groups?integrated_account_id=${tenant.accountId}`, { name: 'x\u0000' });
      expect(group.status).toBe(400);
      expect(group.body.details).toEqual([expect.objectContaining({ field: 'name', location: 'body' })]);

      const param = await rawRequest(gateway.url, `/unified/user-directory/users/a%00b?integrated_account_id=${tenant.accountId}`, { headers: { authorization: `Bearer ${tenant.apiKey}` } });
      expect(param.status).toBe(400);
      expect(JSON.parse(param.body).details).toEqual([expect.objectContaining({ field: 'id', location: 'param' })]);
      for (const bad of ['%00', 'a%0D%0Ab', '%1B']) {
        const query = await rawRequest(gateway.url, `/operations?status=${bad}`, { headers: { authorization: `Bearer ${tenant.apiKey}` } });
        expect(query.status).toBe(400);
        expect(JSON.parse(query.body).details).toEqual([expect.objectContaining({ field: 'status', location: 'query' })]);
      }
      const proxy = await rawRequest(gateway.url, `/proxy/${tenant.accountId}/reporting/users?status=a%00`, { headers: { authorization: `Bearer ${tenant.apiKey}` } });
      expect(proxy.status).toBe(400);
      expect(JSON.parse(proxy.body).details).toEqual([expect.objectContaining({ field: 'status', location: 'query' })]);
    });

    it('answers 415 for a body that is not UTF-8 JSON', async () => {
      const headers = { authorization: `Bearer ${tenant.apiKey}` };
      const form = await call(gateway.url, usersPath(), { method: 'POST', body: 'first_name=a', headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' } });
      expect(form.status).toBe(415);
      const latin1 = await call(gateway.url, usersPath(), { method: 'POST', body: '{}', headers: { ...headers, 'content-type': 'application/json; charset=latin1' } });
      expect(latin1.status).toBe(415);
      // a UTF-8-encoded lone surrogate (ED A0 80) is not UTF-8
      const bytes = Buffer.from([...Buffer.from('{"first_name":"'), 0xed, 0xa0, 0x80, ...Buffer.from('"}')]);
      const invalidUtf8 = await rawRequest(gateway.url, usersPath(), {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(bytes.length) },
        body: bytes,
      });
      expect(invalidUtf8.status).toBe(400);
    });
  });

  describe('finding 9: credentials that cannot travel in a header', () => {
    const account = (overrides: Record<string, string>) => ({ label: 'bad creds', region: 'us', reporting_api_key: kb4.reporting_api_key, scim_token: kb4.scim_token, ...overrides });

    it.each([
      ['reporting_api_key', 'CR/LF', (k: string) => `${k}\r\nX-Injected: 1`],
      ['reporting_api_key', 'a trailing newline', (k: string) => `${k}\n`],
      ['scim_token', 'a non-Latin-1 character', (k: string) => `${k}ключ`],
      ['scim_token', 'a space', (k: string) => `${k} x`],
    ])('answers 400 naming %s for %s on create (it was a 502 marked as KnowBe4\'s)', async (field, _what, spoil) => {
      const original = field === 'reporting_api_key' ? kb4.reporting_api_key : kb4.scim_token;
      const response = await post('/integrated-accounts', account({ [field]: spoil(original) }));
      expect(response.status).toBe(400);
      expect(response.body.truto_is_remote_error).toBeUndefined();
      expect(response.body.details).toEqual([expect.objectContaining({ field, location: 'body' })]);
    });

    it('answers 400 naming the credential on PATCH too', async () => {
      for (const field of ['reporting_api_key', 'scim_token']) {
        const response = await post(`/integrated-accounts/${tenant.accountId}`, { [field]: 'abc\r\ndef' }, 'PATCH');
        expect(response.status).toBe(400);
        expect(response.body.details).toEqual([expect.objectContaining({ field, location: 'body' })]);
      }
    });
  });

  describe('finding 8: scim_base_url is checked in sandbox mode too', () => {
    const create = (scimBaseUrl: string) =>
      post('/integrated-accounts', { label: 'url check', region: 'us', reporting_api_key: kb4.reporting_api_key, scim_token: kb4.scim_token, scim_base_url: scimBaseUrl });

    it.each([
      'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
      'http://[fe80::1]/scim/v2',
      'http://metadata.google.internal/computeMetadata/v1/',
      'http://10.0.0.7/scim/v2',
      'http://192.168.1.1/scim/v2',
      'http://127.0.0.1:1/scim/v2',
      'https://evil.example.com/scim/v2',
      'https://training.knowbe4.com.evil.example/scim/v2',
    ])('refuses %s with a 400 naming scim_base_url', async (url) => {
      const response = await create(url);
      expect(response.status).toBe(400);
      expect(response.body.details).toEqual([expect.objectContaining({ field: 'scim_base_url', location: 'body' })]);
    });

    it('accepts KnowBe4\'s own Tenant URL and the sandbox\'s own URL', async () => {
      expect((await create('https://training.knowbe4.com/scim/v2')).status).toBe(201);
      expect((await create(`${sandbox.url}/scim/v2`)).status).toBe(201);
    });

    it('refuses a metadata address on PATCH', async () => {
      const response = await post(`/integrated-accounts/${tenant.accountId}`, { scim_base_url: 'http://169.254.169.254/latest' }, 'PATCH');
      expect(response.status).toBe(400);
      expect(response.body.details).toEqual([expect.objectContaining({ field: 'scim_base_url' })]);
    });
  });
});
