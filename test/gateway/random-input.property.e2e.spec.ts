import fc from 'fast-check';
import { CredentialCipher } from '@kb4/persistence';
import { call, createSandboxTenant, createTenant, documentedRoutes, GatewayProcess, Route, SandboxGatewayStack, startSandboxGateway, Tenant } from './support/gateway-harness';
import { seedUsers, syntheticUsers } from './support/mirror-fixture';
import { rawRequest } from './support/raw-http';

const STACK_TRACE = /\n\s+at |node_modules|\.ts:\d+|\bat [A-Za-z]+ \(/;
const KNOWN_PARAMS = [
  'integrated_account_id', 'limit', 'next_cursor', 'status', 'email', 'first_name', 'last_name', 'department', 'group_id',
  'updated_at[gte]', 'updated_at[gt]', 'updated_at[lt]', 'updated_at[lte]', 'sort_by', 'truto_ignore_remote_data',
  'truto_exclude_fields[]', 'fresh', 'per_page', 'page', 'count', 'filter',
];

/** Percent-encodes every byte outside unreserved characters, so any string can travel in a request line. */
function encodeAll(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

describe('every route under random input (fast-check, gateway process)', () => {
  let gateway: GatewayProcess;
  let own: Tenant;
  let foreign: Tenant;
  let routes: Route[];
  let validCursor: string;
  let stack: SandboxGatewayStack | undefined;
  const credentialsKey = CredentialCipher.generateKey();

  beforeAll(async () => {
    stack = await startSandboxGateway({
      databasePrefix: 'gw_fuzz',
      credentialsKey,
      sandboxTenant: { seed: 3, users: 30, region: 'us' },
      env: { API_RATE_LIMIT_PER_MINUTE: '1000000' },
      prepare: async (ready) => {
        own = await createSandboxTenant(ready, credentialsKey);
        foreign = await createTenant(ready.database.url, credentialsKey);
        await seedUsers(ready.pool, own.accountId, syntheticUsers(120));
      },
    });
    ({ gateway } = stack);
    routes = await documentedRoutes(gateway.url);
    validCursor = (await call(gateway.url, `/unified/user-directory/users?integrated_account_id=${own.accountId}&limit=5`, { apiKey: own.apiKey })).body.next_cursor;
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('covers every documented route', () => {
    expect(routes.length).toBeGreaterThanOrEqual(15);
  });

  it('never answers 500 or shows a stack trace, whatever the query, headers, body or cursor', async () => {
    const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 20 }));
    const cursorish = fc.oneof(
      text,
      fc.constant(validCursor),
      fc.nat({ max: 60 }).map((i) => `${validCursor.slice(0, i)}x${validCursor.slice(i + 1)}`),
      fc.jsonValue().map((v) => `${Buffer.from(JSON.stringify(v) ?? 'null').toString('base64url')}.${'A'.repeat(27)}`),
      fc.record({ v: fc.constant(1), d: fc.constantFrom('n', 'p', 'x'), k: fc.oneof(fc.string(), fc.constant('99999999999999999999')), q: fc.string() }).map(
        (p) => `${Buffer.from(JSON.stringify(p)).toString('base64url')}.${validCursor.split('.')[1]}`,
      ),
    );
    const value = fc.oneof(
      text,
      fc.integer().map(String),
      fc.double().map(String),
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      fc.constantFrom('true', 'false', 'active', 'inactive', '-last_name', 'updated_at', '', '0', '501', '-1', '1e400', '00000', '9'.repeat(30), 'null', '\u0000', '../..'),
      fc.constant(own.accountId),
      fc.constant(foreign.accountId),
    );
    const param = fc.tuple(fc.oneof(fc.constantFrom(...KNOWN_PARAMS), text), fc.oneof(value, cursorish));
    const segment = fc.oneof(
      { arbitrary: fc.constant(own.accountId), weight: 4 },
      fc.constant(foreign.accountId),
      fc.constantFrom('1000001', '1', '0', '-1', '99999999999999999999', 'users', '..', '%2e%2e', 'Users', 'a%00b', '%ZZ'),
      text.map(encodeAll),
    );
    const headers = fc.record(
      {
        authorization: fc.oneof({ arbitrary: fc.constant(`Bearer ${own.apiKey}`), weight: 8 }, fc.constant(`Bearer ${foreign.apiKey}`), fc.constant('Bearer '), text.map((t) => `Bearer ${encodeAll(t)}`), fc.constant('Basic Zm9vOmJhcg==')),
        'content-type': fc.constantFrom('application/json', 'application/scim+json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1'),
        'x-request-id': fc.oneof(fc.uuid(), text.map(encodeAll)),
        'idempotency-key': text.map(encodeAll),
      },
      { requiredKeys: ['authorization'] },
    );
    const body = fc.oneof(
      fc.constant(undefined),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      fc.record({ label: value, region: value, reporting_api_key: value, scim_token: value, scim_base_url: value, status: value, userName: value }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
      text,
      fc.constant('{"unterminated":'),
      fc.constant('x'.repeat(200_000)),
    );
    const request = fc.record({
      route: fc.constantFrom(...routes),
      segments: fc.array(segment, { minLength: 3, maxLength: 3 }),
      tail: fc.array(segment, { maxLength: 3 }),
      query: fc.oneof({ arbitrary: fc.array(param, { maxLength: 4 }), weight: 1 }, { arbitrary: fc.array(fc.tuple(fc.constantFrom(...KNOWN_PARAMS), value), { maxLength: 3 }), weight: 2 }),
      withAccount: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, fc.constant(false)),
      headers,
      body,
    });

    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        let i = 0;
        let path = r.route.template.replace(/\{[^}]+\}/g, () => r.segments[i++]);
        if (r.route.template.includes('{path}') && r.tail.length) path += `/${r.tail.join('/')}`;
        const query = [...(r.withAccount ? [['integrated_account_id', own.accountId] as [string, string]] : []), ...r.query]
          .map(([k, v]) => `${encodeAll(k)}=${encodeAll(v)}`)
          .join('&');
        const headerValues = Object.fromEntries(Object.entries(r.headers).filter(([, v]) => v !== undefined && /^[\x20-\x7e]*$/.test(v))) as Record<string, string>;
        const response = await rawRequest(gateway.url, `${path}${query ? `?${query}` : ''}`, {
          method: r.route.method,
          headers: headerValues,
          body: r.route.method === 'GET' || r.route.method === 'DELETE' ? undefined : r.body,
        });
        if (process.env.FC_DEBUG) process.stdout.write(`${response.status} ${r.route.method} ${r.route.template}\n`);
        if (response.status >= 500 || STACK_TRACE.test(response.body)) {
          throw new Error(`${r.route.method} ${path}?${query} → ${response.status}: ${response.body.slice(0, 500)}`);
        }
        if (response.status >= 400 && response.status !== 405) {
          const parsed = JSON.parse(response.body) as Record<string, unknown>;
          if (typeof parsed.request_id !== 'string' || typeof parsed.statusCode !== 'number') throw new Error(`not the error shape: ${response.body}`);
        }
      }),
      { numRuns: 600, seed: Number(process.env.FC_SEED ?? 20251126) },
    );
  });
});
