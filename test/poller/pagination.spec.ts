import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { INestApplicationContext } from '@nestjs/common';
import { DIRECTORY_EVENT_TYPES, TOPICS } from '@kb4/contracts';
import { DataSource } from 'typeorm';
import { startSandbox } from '../../apps/knowbe4-sandbox/src/sandbox';
import { ThrowawayDatabase } from '../support/throwaway-database';
import { connectAccount, pollerDatabase, pollerEnv, sandboxCall, startPollerInProcess, syncAndWait, waitForRun, initialRun } from './support';

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;

interface ListRequest {
  path: string;
  cursor: string | null;
  page: string | null;
  status: number;
}

/**
 * Sits between the poller and the sandbox and writes down every list request. With `legacy` on it plays a KnowBe4
 * API from before cursors: the `cursor` parameter is dropped, so `cursor=true` gets page 1 as a bare array.
 */
function recordingProxy(upstream: string): { server: Server; requests: ListRequest[]; options: { legacy: boolean } } {
  const requests: ListRequest[] = [];
  const options = { legacy: false };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://proxy');
      const entry: ListRequest = { path: url.pathname.replace(/^.*\/v1/, ''), cursor: url.searchParams.get('cursor'), page: url.searchParams.get('page'), status: 0 };
      // in the order they were asked for
      if (/\/v1\/(groups|users|training\/enrollments)$/.test(url.pathname)) requests.push(entry);
      if (options.legacy) url.searchParams.delete('cursor');
      const response = await fetch(`${upstream}${url.pathname}${url.search}`, { headers: { authorization: req.headers.authorization ?? '' } });
      const body = await response.text();
      entry.status = response.status;
      res.writeHead(response.status, { 'content-type': response.headers.get('content-type') ?? 'application/json' });
      res.end(body);
    })();
  });
  return { server, requests, options };
}

describe('poller: walking KnowBe4 lists by cursor', () => {
  let sandbox: Sandbox;
  let proxy: ReturnType<typeof recordingProxy>;
  let proxyUrl: string;
  let tenant: ReturnType<Sandbox['createTenant']>;
  let database: ThrowawayDatabase;
  let dataSource: DataSource;
  let poller: INestApplicationContext | undefined;
  let accountId: string;
  const admin = (path: string): string => `${sandbox.url}/_sandbox/tenants/${tenant.id}${path}`;

  async function usePoller(extra: Record<string, string> = {}): Promise<void> {
    await poller?.close();
    poller = await startPollerInProcess(pollerEnv(database.url, proxyUrl, { OUTBOX_RELAY_ENABLED: 'false', SYNC_PER_PAGE: '10', ...extra }));
  }

  async function runEvents(runId: string): Promise<Array<{ event_type: string; remote_id: string }>> {
    return dataSource.query(
      `SELECT event_type, payload->'data'->>'remote_id' AS remote_id FROM outbox_events WHERE topic = $1 AND payload->'data'->>'sync_run_id' = $2`,
      [TOPICS.directoryEvents, runId],
    );
  }

  async function syncOnce(): Promise<{ id: string; events: Array<{ event_type: string; remote_id: string }> }> {
    const { id, status } = await syncAndWait(dataSource, accountId);
    expect(status).toBe('completed');
    return { id, events: await runEvents(id) };
  }

  /** Fingerprints of user and enrollment pages, with when each was last written. */
  async function storedFingerprints(): Promise<Array<{ phase: string; page: number; fingerprint: string; recorded_at: Date }>> {
    return dataSource.query(`SELECT phase, page, fingerprint, recorded_at FROM sync_page_fingerprints WHERE account_id = $1 ORDER BY phase, page`, [accountId]);
  }

  async function firstUser(): Promise<{ id: number; job_title: string | null }> {
    const response = await fetch(`${tenant.reporting_base_url}/users?per_page=1`, { headers: { authorization: `Bearer ${tenant.reporting_api_key}` } });
    return ((await response.json()) as Array<{ id: number; job_title: string | null }>)[0];
  }

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0 });
    tenant = sandbox.createTenant({ seed: 51, users: 45, region: 'us', rate_limit_profile: 'off' });
    proxy = recordingProxy(sandbox.url);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    proxyUrl = `http://127.0.0.1:${(proxy.server.address() as AddressInfo).port}`;
    ({ database, dataSource } = await pollerDatabase('pagination'));
    accountId = await connectAccount(dataSource, tenant);
  });

  afterAll(async () => {
    await poller?.close();
    await dataSource?.destroy();
    await database?.drop();
    await new Promise((resolve) => proxy?.server.close(resolve));
    await sandbox?.close();
  });

  it('walks every list by cursor by default: cursor=true, then each next_cursor, never a page number', async () => {
    await usePoller();
    const initial = await initialRun(dataSource, accountId);
    expect(initial.status).toBe('completed');
    const users = proxy.requests.filter((r) => r.path === '/users');
    // 45 users, 10 per page: five pages, the last one ends the walk with an empty cursor (no sixth request)
    expect(users.map((r) => r.cursor === 'true')).toEqual([true, false, false, false, false]);
    expect(proxy.requests.every((r) => r.page === null && r.cursor !== null && r.status === 200)).toBe(true);
    expect((await runEvents(initial.id)).filter((e) => e.event_type === DIRECTORY_EVENT_TYPES.userCreated)).toHaveLength(45);
  });

  it('reads a list again from its start when KnowBe4 refuses the stored cursor of a resumed run, instead of failing', async () => {
    const user = await firstUser();
    await sandboxCall(admin(`/users/${user.id}`), 'PATCH', { job_title: `${user.job_title ?? ''} (cursor test)` });
    proxy.requests.length = 0;
    // a run parked (or killed) in the middle of the users, long enough ago that its cursor has expired
    const checkpoint = { baseline: false, phase: 'users', page: 3, last_id: null, pagination: 'cursor', cursor: Buffer.from('expired').toString('base64url') };
    const [{ id }] = await dataSource.query<Array<{ id: string }>>(
      `INSERT INTO sync_runs (account_id, status, trigger, checkpoint) VALUES ($1, 'queued', 'manual', $2) RETURNING id`,
      [accountId, JSON.stringify(checkpoint)],
    );
    expect((await waitForRun(dataSource, id)).status).toBe('completed');

    const users = proxy.requests.filter((r) => r.path === '/users');
    expect(users[0]).toMatchObject({ cursor: checkpoint.cursor, status: 400 });
    expect(users[1]).toMatchObject({ cursor: 'true', status: 200 });
    expect(users).toHaveLength(1 + 5);
    // the changed user is on page 1, which a walk going on from page 4 would never have read
    const events = await runEvents(id);
    expect(events).toContainEqual({ event_type: DIRECTORY_EVENT_TYPES.userUpdated, remote_id: String(user.id) });
  });

  it('falls back to page numbers when the tenant answers cursor=true with a bare array (an API without cursors)', async () => {
    proxy.options.legacy = true;
    proxy.requests.length = 0;
    try {
      const user = await firstUser();
      await sandboxCall(admin(`/users/${user.id}`), 'PATCH', { job_title: 'Fallback Title' });
      const { events } = await syncOnce();
      const users = proxy.requests.filter((r) => r.path === '/users');
      // the answer to cursor=true is page 1; pages 2.. are asked for by number (two in flight: one past the end at most)
      expect(users[0]).toMatchObject({ cursor: 'true', page: null });
      expect(users.slice(1).map((r) => Number(r.page)).sort((a, b) => a - b).slice(0, 4)).toEqual([2, 3, 4, 5]);
      expect(users.slice(1).every((r) => r.cursor === null)).toBe(true);
      expect(events.filter((e) => e.event_type === DIRECTORY_EVENT_TYPES.userUpdated).map((e) => e.remote_id)).toEqual([String(user.id)]);
      // and nothing looked deleted: every page was read
      expect(events.filter((e) => e.event_type === DIRECTORY_EVENT_TYPES.userDeleted)).toEqual([]);
      expect((await syncOnce()).events).toEqual([]);
    } finally {
      proxy.options.legacy = false;
    }
  });

  it('keeps page fingerprints valid across modes: an unchanged tenant is settled page by page from them, cursors or page numbers', async () => {
    for (const mode of ['page', 'cursor', 'page']) {
      await usePoller({ SYNC_PAGINATION: mode });
      const before = await storedFingerprints();
      expect(before.length).toBeGreaterThanOrEqual(5);
      const { events } = await syncOnce();
      expect(events).toEqual([]);
      // no page went the record-by-record way (it would have written its fingerprint again)
      expect(await storedFingerprints()).toEqual(before);
    }
  });
});
