import { INestApplicationContext } from '@nestjs/common';
import { CredentialCipher, IntegratedAccountRepository, WorkspaceRepository } from '@kb4/persistence';
import { DataSource } from 'typeorm';
import { ThrowawayDatabase } from '../support/throwaway-database';
import { pollerDatabase, pollerEnv, runStatuses, startPollerInProcess, waitFor } from './support';

describe('poller: an account whose stored credentials no configured key can read', () => {
  let database: ThrowawayDatabase;
  let dataSource: DataSource;
  let poller: INestApplicationContext;

  beforeAll(async () => {
    ({ database, dataSource } = await pollerDatabase('unreadable'));
  });

  afterAll(async () => {
    await poller?.close();
    await dataSource?.destroy();
    await database?.drop();
  });

  it('fails its run once with the reason and waits for its interval instead of retrying every tick', async () => {
    const workspace = await new WorkspaceRepository(dataSource).createWorkspace('lost key');
    // written with a key this poller is not given (e.g. .local/credentials.key was deleted)
    const account = await new IntegratedAccountRepository(dataSource, new CredentialCipher(CredentialCipher.generateKey())).connect({
      workspaceId: workspace.id,
      label: 'unreadable',
      region: 'us',
      credentials: { reporting_api_key: 'k', scim_token: 't' },
    });
    poller = await startPollerInProcess(pollerEnv(database.url, 'http://127.0.0.1:9', { OUTBOX_RELAY_ENABLED: 'false', SYNC_SCHEDULER_TICK_MS: '50' }));
    const [failed] = await waitFor('the failed run', async () => {
      const runs = await runStatuses(dataSource, account.id);
      return runs.length > 0 && runs[0].status === 'failed' && runs;
    });
    expect(failed.status).toBe('failed');
    const [{ error }] = await dataSource.query<Array<{ error: string }>>(`SELECT error FROM sync_runs WHERE id = $1`, [failed.id]);
    expect(error).toMatch(/could not start: stored credentials use key/);
    // many scheduler ticks later there is still exactly that one run: the account waits for POLL_INTERVAL_SECONDS
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await runStatuses(dataSource, account.id)).toHaveLength(1);
  });
});
