import { randomBytes } from 'node:crypto';
import { CredentialCipher } from '@kb4/persistence';
import type { Pool } from 'pg';
import type { ThrowawayDatabase } from '../support/throwaway-database';
import { call, createTenant, GatewayProcess, migratedDatabase, poolFor, startGatewayProcess } from './support/gateway-harness';
import { rawRequest } from './support/raw-http';

const WRITE_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'];
/** POSTs that change nothing (an audit checkpoint is signed from the chain, a presented one is checked): directory:read may call them */
const READING_POSTS = ['/audit-events/checkpoints', '/audit-events/checkpoints/verify'];
const SAMPLE_ID = '00000000-0000-4000-8000-000000000000';

interface DocumentedOperation {
  method: string;
  template: string;
  security: Array<Record<string, unknown>>;
}

/** Every operation of the served OpenAPI document with its security requirement. */
async function documentedOperations(gatewayUrl: string): Promise<DocumentedOperation[]> {
  const spec = (await call(gatewayUrl, '/docs-json')).body as { paths: Record<string, Record<string, { security?: Array<Record<string, unknown>> }>> };
  return Object.entries(spec.paths).flatMap(([template, operations]) =>
    Object.entries(operations).map(([method, operation]) => ({ method: method.toUpperCase(), template, security: operation.security ?? [] })),
  );
}

const concrete = (template: string): string => template.replace(/\{[^}]+\}/g, SAMPLE_ID);
const usesApiKey = (operation: DocumentedOperation): boolean => operation.security.some((requirement) => 'bearer' in requirement);

/**
 * Issue 12 point 4: the operator's admin API (ADMIN_TOKEN) issues scoped API keys; a read-only key gets 403 on every
 * write route the gateway documents; a revoked key answers 401 at once on every replica (two gateway processes, one
 * database, a long API-key cache); the admin token is limited like API keys; no secret reaches the logs.
 */
describe('workspace admin API, scoped keys and revocation (two gateway processes)', () => {
  let database: ThrowawayDatabase;
  let pool: Pool;
  let first: GatewayProcess;
  let second: GatewayProcess;
  const credentialsKey = CredentialCipher.generateKey();
  const adminToken = `adm_${randomBytes(24).toString('base64url')}`;
  const secrets: string[] = [adminToken];
  const admin = (path: string, options: { method?: string; body?: unknown } = {}, gateway = first): ReturnType<typeof call> =>
    call(gateway.url, path, { ...options, apiKey: adminToken });

  beforeAll(async () => {
    database = await migratedDatabase('gw_admin');
    pool = poolFor(database.url);
    const env = {
      DATABASE_URL: database.url,
      CREDENTIALS_KEY: credentialsKey,
      KAFKA_BROKERS: process.env.KAFKA_BROKERS!,
      KNOWBE4_PACING: 'off',
      ADMIN_TOKEN: adminToken,
      API_KEY_CACHE_SECONDS: '3600', // revocation must not wait for the cache
      AUTH_FAILURE_LIMIT_PER_MINUTE: '10',
      OPERATION_RECONCILE_INTERVAL_SECONDS: '0',
    };
    [first, second] = await Promise.all([startGatewayProcess(env), startGatewayProcess(env)]);
  });

  afterAll(async () => {
    await Promise.all([first?.stop(), second?.stop()]);
    await pool?.end();
    await database?.drop();
  });

  async function workspaceWithKey(scopes: string[]): Promise<{ workspaceId: string; keyId: string; key: string }> {
    const workspace = await admin('/admin/workspaces', { method: 'POST', body: { name: `team ${randomBytes(3).toString('hex')}` } });
    expect(workspace.status).toBe(201);
    const issued = await admin(`/admin/workspaces/${workspace.body.id}/api-keys`, { method: 'POST', body: { label: 'test', scopes } });
    expect(issued.status).toBe(201);
    secrets.push(issued.body.key);
    return { workspaceId: workspace.body.id, keyId: issued.body.id, key: issued.body.key };
  }

  it('creates workspaces and keys; a key is shown once, then only its id, prefix, label, scopes and times', async () => {
    const { workspaceId, keyId, key } = await workspaceWithKey(['directory:read', 'accounts:manage']);
    expect(key).toMatch(/^kb4_/);
    expect((await admin(`/admin/workspaces/${workspaceId}`)).body).toMatchObject({ id: workspaceId });
    expect((await admin('/admin/workspaces')).body.result.map((w: { id: string }) => w.id)).toContain(workspaceId);

    expect((await call(first.url, '/integrated-accounts', { apiKey: key })).status).toBe(200);
    const listed = await admin(`/admin/workspaces/${workspaceId}/api-keys`);
    expect(listed.status).toBe(200);
    expect(listed.text).not.toContain(key);
    expect(listed.body.result).toEqual([
      expect.objectContaining({ id: keyId, prefix: key.slice(0, 10), label: 'test', scopes: ['directory:read', 'accounts:manage'], revoked_at: null }),
    ]);
    expect(Object.keys(listed.body.result[0]).sort()).toEqual(['created_at', 'id', 'label', 'last_used_at', 'prefix', 'revoked_at', 'scopes', 'workspace_id']);
    // last use is recorded (at most once a minute, off the request path)
    for (let attempt = 0; attempt < 50; attempt++) {
      const { rows } = await pool.query<{ last_used_at: Date | null }>('SELECT last_used_at FROM api_keys WHERE id = $1', [keyId]);
      if (rows[0].last_used_at) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await admin(`/admin/workspaces/${workspaceId}/api-keys`)).body.result[0].last_used_at).not.toBeNull();
  });

  it('refuses invalid admin input with 400 naming the field, and unknown workspaces with 404', async () => {
    const noName = await admin('/admin/workspaces', { method: 'POST', body: {} });
    expect(noName.status).toBe(400);
    expect(noName.text).toContain('name');
    const { workspaceId } = await workspaceWithKey(['directory:read']);
    const badScope = await admin(`/admin/workspaces/${workspaceId}/api-keys`, { method: 'POST', body: { scopes: ['directory:admin'] } });
    expect(badScope.status).toBe(400);
    expect(badScope.text).toContain('scopes');
    const noScopes = await admin(`/admin/workspaces/${workspaceId}/api-keys`, { method: 'POST', body: { scopes: [] } });
    expect(noScopes.status).toBe(400);
    expect((await admin(`/admin/workspaces/${SAMPLE_ID}`)).status).toBe(404);
    expect((await admin(`/admin/workspaces/${SAMPLE_ID}/api-keys`, { method: 'POST', body: { scopes: ['directory:read'] } })).status).toBe(404);
  });

  it('gives a directory:read key 403 naming the scope on every documented write route, and lets it read', async () => {
    const { key } = await workspaceWithKey(['directory:read']);
    const operations = (await documentedOperations(first.url)).filter(usesApiKey);
    const isReadingPost = (operation: DocumentedOperation): boolean => operation.method === 'POST' && READING_POSTS.includes(operation.template);
    const writes = operations.filter((operation) => WRITE_METHODS.includes(operation.method) && !isReadingPost(operation));
    expect(writes.length).toBeGreaterThan(10);
    expect(operations.filter(isReadingPost).map((operation) => operation.template).sort()).toEqual([...READING_POSTS].sort());
    for (const operation of writes) {
      const answer = await call(first.url, concrete(operation.template), { apiKey: key, method: operation.method, body: {} });
      expect({ route: `${operation.method} ${operation.template}`, status: answer.status }).toEqual({ route: `${operation.method} ${operation.template}`, status: 403 });
      expect(answer.body.message).toMatch(/lacks the "(directory:write|accounts:manage|webhooks:manage)" scope/);
    }
    for (const operation of operations.filter((o) => (o.method === 'GET' || isReadingPost(o)) && !o.template.startsWith('/proxy/') && !o.template.startsWith('/api-keys') && !o.template.startsWith('/webhooks'))) {
      // raw: a live stream (GET /events/stream) answers its status at once and never ends
      const answer = await rawRequest(first.url, concrete(operation.template), {
        method: operation.method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        ...(operation.method === 'POST' ? { body: '{}' } : {}),
      });
      expect({ route: operation.template, status: answer.status }).not.toEqual({ route: operation.template, status: 403 });
    }
  });

  it('keeps workspace keys off the admin API and the admin token off workspace routes (403)', async () => {
    const { key } = await workspaceWithKey(['directory:read', 'directory:write', 'accounts:manage', 'webhooks:manage']);
    expect((await call(first.url, '/admin/workspaces', { apiKey: key })).status).toBe(403);
    expect((await admin('/integrated-accounts')).status).toBe(403);
  });

  it('answers 401 for a revoked key at once on both replicas, though both had it cached', async () => {
    const { workspaceId, keyId, key } = await workspaceWithKey(['directory:read']);
    expect((await call(first.url, '/operations', { apiKey: key })).status).toBe(200);
    expect((await call(second.url, '/operations', { apiKey: key })).status).toBe(200);

    const revoked = await admin(`/admin/workspaces/${workspaceId}/api-keys/${keyId}`, { method: 'DELETE' });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked_at).not.toBeNull();

    const [onSecond, onFirst] = await Promise.all([call(second.url, '/operations', { apiKey: key }), call(first.url, '/operations', { apiKey: key })]);
    expect([onSecond.status, onFirst.status]).toEqual([401, 401]);
    expect((await admin(`/admin/workspaces/${workspaceId}/api-keys/${keyId}`, { method: 'DELETE' })).body.revoked_at).toBe(revoked.body.revoked_at);
  });

  it('looks every key up while its revocation listener is down, so a revoke it cannot hear still holds', async () => {
    const { keyId, key } = await workspaceWithKey(['directory:read']);
    expect((await call(second.url, '/operations', { apiKey: key })).status).toBe(200); // cached on the second replica
    const listeners = async (): Promise<number> =>
      Number((await pool.query(`SELECT count(*) FROM pg_stat_activity WHERE application_name = 'kb4-gateway:api-key-cache' AND datname = current_database()`)).rows[0].count);
    expect(await listeners()).toBe(2);
    await pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'kb4-gateway:api-key-cache' AND datname = current_database()`);
    for (let attempt = 0; attempt < 100 && !/lost the API key change listener/.test(second.output()); attempt++) await new Promise((r) => setTimeout(r, 50));
    expect(second.output()).toContain('lost the API key change listener');
    // revoked behind the gateways' backs while nobody listens: no notification will ever reach them
    await pool.query(`ALTER TABLE api_keys DISABLE TRIGGER api_keys_changed_notify`);
    try {
      await pool.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1`, [keyId]);
    } finally {
      await pool.query(`ALTER TABLE api_keys ENABLE TRIGGER api_keys_changed_notify`);
    }
    expect((await call(second.url, '/operations', { apiKey: key })).status).toBe(401);
    // and the listeners come back
    for (let attempt = 0; attempt < 100 && (await listeners()) < 2; attempt++) await new Promise((r) => setTimeout(r, 100));
    expect(await listeners()).toBe(2);
  });

  it('lets an accounts:manage key list and revoke its own workspace keys, not another workspace\'s', async () => {
    const manager = await workspaceWithKey(['accounts:manage']);
    const sibling = await admin(`/admin/workspaces/${manager.workspaceId}/api-keys`, { method: 'POST', body: { scopes: ['directory:read'] } });
    secrets.push(sibling.body.key);
    const other = await workspaceWithKey(['directory:read']);
    expect((await call(second.url, '/operations', { apiKey: sibling.body.key })).status).toBe(200);

    const listed = await call(first.url, '/api-keys', { apiKey: manager.key });
    expect(listed.body.result.map((k: { id: string }) => k.id).sort()).toEqual([manager.keyId, sibling.body.id].sort());
    expect((await call(first.url, `/api-keys/${other.keyId}`, { apiKey: manager.key, method: 'DELETE' })).status).toBe(404);
    expect((await call(first.url, `/api-keys/${sibling.body.id}`, { apiKey: manager.key, method: 'DELETE' })).status).toBe(200);
    expect((await call(second.url, '/operations', { apiKey: sibling.body.key })).status).toBe(401);
    expect((await call(first.url, '/api-keys', { apiKey: other.key })).status).toBe(403);
  });

  it('answers a wrong admin token 401 and a flood of them 429, while the right token still works from elsewhere', async () => {
    const wrong = await call(second.url, '/admin/workspaces', { apiKey: `adm_${randomBytes(24).toString('base64url')}` });
    expect(wrong.status).toBe(401);
    expect((await call(second.url, '/admin/workspaces')).status).toBe(401);
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 15; attempt++) {
      statuses.push((await call(second.url, '/admin/workspaces', { apiKey: `adm_${randomBytes(24).toString('base64url')}` })).status);
    }
    expect(statuses).toContain(429);
    expect(statuses.every((status) => status === 401 || status === 429)).toBe(true);
    expect((await admin('/admin/workspaces', {}, first)).status).toBe(200); // the other replica counts its own failures
  });

  it('never writes the admin token or a key to the logs', () => {
    const logs = first.output() + second.output();
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(logs).not.toContain(secret);
  });
});

describe('admin API without ADMIN_TOKEN', () => {
  it('answers 401 saying the admin API is disabled', async () => {
    const database = await migratedDatabase('gw_noadmin');
    const tenant = await createTenant(database.url, CredentialCipher.generateKey());
    const gateway = await startGatewayProcess({
      DATABASE_URL: database.url,
      CREDENTIALS_KEY: CredentialCipher.generateKey(),
      KAFKA_BROKERS: process.env.KAFKA_BROKERS!,
      KNOWBE4_PACING: 'off',
      API_KEY_CACHE_SECONDS: '0',
    });
    try {
      const answer = await call(gateway.url, '/admin/workspaces', { apiKey: `x${'y'.repeat(40)}` });
      expect(answer.status).toBe(401);
      expect(answer.text).toContain('ADMIN_TOKEN is not set');
      expect((await call(gateway.url, '/operations', { apiKey: tenant.apiKey })).status).toBe(200); // uncached keys still work
    } finally {
      await gateway.stop();
      await database.drop();
    }
  });
});
