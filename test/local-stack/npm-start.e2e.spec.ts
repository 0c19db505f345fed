import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createThrowawayDatabase, ThrowawayDatabase } from '../support/throwaway-database';
import { exited, freeStackPorts, processAlive, spawnNpmStart, waitForDemo } from './support/npm-start';

describe('npm start (the local stack)', () => {
  let database: ThrowawayDatabase;
  let localDir: string;
  let child: ChildProcess;
  let output = '';
  const ports: Record<string, number> = {};

  beforeAll(async () => {
    database = await createThrowawayDatabase(`kb4_test_start_${process.pid}`);
    localDir = mkdtempSync(join(tmpdir(), 'kb4-start-'));
    Object.assign(ports, await freeStackPorts());
    child = spawnNpmStart(
      {
        DATABASE_URL: database.url,
        KAFKA_BROKERS: '', // the stack starts its own embedded broker, as on a fresh machine
        KB4_LOCAL_DIR: localDir,
        DEMO_USERS: '50',
      },
      ports,
      (chunk) => (output += chunk),
    );
    await waitForDemo(localDir, child, () => output);
  });

  afterAll(async () => {
    if (child.exitCode === null) {
      child.kill('SIGKILL');
      await exited(child);
    }
    rmSync(localDir, { recursive: true, force: true });
    await database.drop();
  });

  it('writes .local/demo.json with exactly the fields design.md lists', () => {
    const demo = JSON.parse(readFileSync(join(localDir, 'demo.json'), 'utf8'));
    expect(Object.keys(demo).sort()).toEqual(
      [
        'gateway_url',
        'api_key',
        'admin_token',
        'workspace_id',
        'integrated_account_id',
        'sandbox_url',
        'region',
        'reporting_base_url',
        'reporting_api_key',
        'scim_base_url',
        'scim_token',
        'kafka_brokers',
        'database_url',
      ].sort(),
    );
    expect(demo.gateway_url).toBe(`http://127.0.0.1:${ports.GATEWAY_PORT}`);
    expect(output).toContain(demo.api_key);
    expect(output).not.toContain(demo.admin_token); // printed as a pointer to demo.json, not in clear
    expect(readFileSync(join(localDir, 'admin-token'), 'utf8').trim()).toBe(demo.admin_token);
    expect(output).toContain(`${demo.gateway_url}/docs`);
  });

  it('serves the health endpoints of all five services, the Swagger UI and the console', async () => {
    for (const name of ['GATEWAY_PORT', 'POLLER_PORT', 'PROVISIONER_PORT', 'WEBHOOK_DISPATCHER_PORT', 'AUTOMATIONS_PORT']) {
      const live = await fetch(`http://127.0.0.1:${ports[name]}/health/live`);
      expect(live.status).toBe(200);
      const ready = await fetch(`http://127.0.0.1:${ports[name]}/health/ready`);
      expect(await ready.json()).toMatchObject({ status: 'ok', checks: { postgres: 'ok', kafka: 'ok' } });
    }
    const docs = await fetch(`http://127.0.0.1:${ports.GATEWAY_PORT}/docs`);
    expect(docs.status).toBe(200);
    // npm start built the console (apps/console/dist) and the gateway serves it
    const consolePage = await fetch(`http://127.0.0.1:${ports.GATEWAY_PORT}/console/`);
    expect(consolePage.status).toBe(200);
    expect(await consolePage.text()).toContain('<div id="root">');
  });

  it('gives the gateway the generated admin token, and the demo key every scope', async () => {
    const demo = JSON.parse(readFileSync(join(localDir, 'demo.json'), 'utf8'));
    const keys = await fetch(`${demo.gateway_url}/admin/workspaces/${demo.workspace_id}/api-keys`, { headers: { authorization: `Bearer ${demo.admin_token}` } });
    expect(keys.status).toBe(200);
    const { result } = (await keys.json()) as { result: Array<{ scopes: string[]; revoked_at: string | null }> };
    expect(result.find((key) => key.revoked_at === null)?.scopes.sort()).toEqual(['accounts:manage', 'directory:read', 'directory:write', 'webhooks:manage']);
  });

  it('serves the demo tenant from the sandbox with the printed credentials', async () => {
    const demo = JSON.parse(readFileSync(join(localDir, 'demo.json'), 'utf8'));
    // The poller's first sync of the demo tenant may be spending the tenant's KnowBe4 rate limit right now: a 429
    // (its key accepted) is waited out as any KnowBe4 client does.
    let users: Response;
    for (let round = 0; ; round++) {
      users = await fetch(`${demo.reporting_base_url}/users?per_page=500`, { headers: { authorization: `Bearer ${demo.reporting_api_key}` } });
      if (users.status !== 429 || round === 20) break;
      await new Promise((r) => setTimeout(r, 1000 * Math.max(1, Number(users.headers.get('retry-after') ?? 1))));
    }
    expect(users.status).toBe(200);
    expect(((await users.json()) as unknown[]).length).toBeGreaterThanOrEqual(45);
    const scim = await fetch(`${demo.scim_base_url}/Users?count=1`, { headers: { authorization: `Bearer ${demo.scim_token}` } });
    expect(scim.status).toBe(200);
  });

  it('stops every process it started on SIGINT', async () => {
    const pids = [...output.matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]));
    child.kill('SIGINT');
    expect(await exited(child)).toBe(0);
    for (const pid of new Set(pids)) expect(processAlive(pid)).toBe(false);
    for (const name of ['GATEWAY_PORT', 'SANDBOX_PORT']) {
      await expect(fetch(`http://127.0.0.1:${ports[name]}/health/live`)).rejects.toThrow();
    }
  });
});
