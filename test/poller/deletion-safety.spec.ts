import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { INestApplicationContext } from '@nestjs/common';
import { DIRECTORY_EVENT_TYPES, TOPICS } from '@kb4/contracts';
import { DataSource } from 'typeorm';
import { startSandbox } from '../../apps/knowbe4-sandbox/src/sandbox';
import { ThrowawayDatabase } from '../support/throwaway-database';
import { connectAccount, pollerDatabase, pollerEnv, sandboxCall, startPollerInProcess, syncAndWait, initialRun } from './support';

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;

/**
 * Sits between the poller and the sandbox. While `hideFromList` names a user, user list pages leave it out — what
 * a page-number walk sees when the console deletes another user mid-walk and the survivor slides onto a page
 * already read (or a list that misses a record for any other reason) — while GET /users/{id} still finds it.
 */
function shiftingProxy(upstream: string): { server: Server; hideFromList: Set<number> } {
  const hideFromList = new Set<number>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const response = await fetch(`${upstream}${req.url}`, { headers: { authorization: req.headers.authorization ?? '' } });
      let body = await response.text();
      if (response.ok && /\/v1\/users(\?|$)/.test(req.url ?? '') && hideFromList.size > 0) {
        const shown = (users: Array<{ id: number } | null>) => users.filter((u) => !u || !hideFromList.has(u.id));
        const parsed = JSON.parse(body) as Array<{ id: number } | null> | { data: Array<{ id: number } | null>; _metadata: unknown };
        // page numbers answer a bare array, cursors {data, _metadata}
        body = JSON.stringify(Array.isArray(parsed) ? shown(parsed) : { ...parsed, data: shown(parsed.data) });
      }
      res.writeHead(response.status, { 'content-type': response.headers.get('content-type') ?? 'application/json' });
      res.end(body);
    })();
  });
  return { server, hideFromList };
}

describe('poller: a user that only looks deleted is not deleted', () => {
  let sandbox: Sandbox;
  let proxy: ReturnType<typeof shiftingProxy>;
  let tenant: ReturnType<Sandbox['createTenant']>;
  let database: ThrowawayDatabase;
  let dataSource: DataSource;
  let poller: INestApplicationContext;
  let accountId: string;

  async function syncOnce(): Promise<Array<{ event_type: string; remote_id: string }>> {
    const { id, status } = await syncAndWait(dataSource, accountId);
    expect(status).toBe('completed');
    return dataSource.query(
      `SELECT event_type, payload->'data'->>'remote_id' AS remote_id FROM outbox_events WHERE topic = $1 AND payload->'data'->>'sync_run_id' = $2`,
      [TOPICS.directoryEvents, id],
    );
  }

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0 });
    tenant = sandbox.createTenant({ seed: 41, users: 40, region: 'us', rate_limit_profile: 'off' });
    proxy = shiftingProxy(sandbox.url);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    const proxyUrl = `http://127.0.0.1:${(proxy.server.address() as AddressInfo).port}`;
    ({ database, dataSource } = await pollerDatabase('deletion'));
    accountId = await connectAccount(dataSource, tenant);
    poller = await startPollerInProcess(pollerEnv(database.url, proxyUrl, { OUTBOX_RELAY_ENABLED: 'false', SYNC_PER_PAGE: '10' }));
    expect((await initialRun(dataSource, accountId)).status).toBe('completed');
  });

  afterAll(async () => {
    await poller?.close();
    await dataSource?.destroy();
    await database?.drop();
    await new Promise((resolve) => proxy?.server.close(resolve));
    await sandbox?.close();
  });

  it('confirms with GET /users/{id} before emitting deleted: a shifted survivor stays, a real deletion goes', async () => {
    const users = (await (
      await fetch(`${tenant.reporting_base_url}/users?per_page=500`, { headers: { authorization: `Bearer ${tenant.reporting_api_key}` } })
    ).json()) as Array<{ id: number }>;
    const survivor = users[12].id;
    const deleted = users[25].id;
    proxy.hideFromList.add(survivor);
    await sandboxCall(`${sandbox.url}/_sandbox/tenants/${tenant.id}/users/${deleted}`, 'DELETE');

    const events = await syncOnce();
    const deletions = events.filter((e) => e.event_type === DIRECTORY_EVENT_TYPES.userDeleted).map((e) => e.remote_id);
    expect(deletions).toEqual([String(deleted)]);
    const mirrored: Array<{ remote_id: string }> = await dataSource.query(
      `SELECT remote_id::text FROM directory_users WHERE account_id = $1 AND remote_id = ANY($2::bigint[])`,
      [accountId, [survivor, deleted]],
    );
    expect(mirrored.map((row) => row.remote_id)).toEqual([String(survivor)]);

    // once the list shows it again nothing happens: it never left
    proxy.hideFromList.clear();
    const next = await syncOnce();
    expect(next.filter((e) => e.remote_id === String(survivor))).toEqual([]);
  });
});
