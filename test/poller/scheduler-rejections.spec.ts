import { INestApplicationContext } from '@nestjs/common';
import { CredentialCipher, IntegratedAccountRepository, WorkspaceRepository } from '@kb4/persistence';
import { DataSource } from 'typeorm';
import { ThrowawayDatabase } from '../support/throwaway-database';
import { pollerDatabase, pollerEnv, runStatuses, startPollerInProcess, waitFor } from './support';

describe('poller scheduler: a run whose failure cannot be recorded', () => {
  let database: ThrowawayDatabase;
  let dataSource: DataSource;
  let poller: INestApplicationContext;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };

  beforeAll(async () => {
    ({ database, dataSource } = await pollerDatabase('rejections'));
    process.on('unhandledRejection', onUnhandled);
  });

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await poller?.close();
    await dataSource?.destroy();
    await database?.drop();
  });

  it('logs the lost write instead of leaving an unhandled rejection, and the next tick records the failure', async () => {
    poller = await startPollerInProcess(pollerEnv(database.url, 'http://127.0.0.1:9', { OUTBOX_RELAY_ENABLED: 'false', SYNC_SCHEDULER_TICK_MS: '50' }));
    // the first transaction of the poller is the one recording that the run could not start: Postgres "goes away"
    const transaction = jest.spyOn(poller.get(DataSource), 'transaction').mockImplementationOnce(() => Promise.reject(new Error('Connection terminated unexpectedly')));
    const workspace = await new WorkspaceRepository(dataSource).createWorkspace('lost write');
    // credentials no key of this poller decrypts: the run cannot start and must be recorded as failed
    const account = await new IntegratedAccountRepository(dataSource, new CredentialCipher(CredentialCipher.generateKey())).connect({
      workspaceId: workspace.id,
      label: 'unreadable',
      region: 'us',
      credentials: { reporting_api_key: 'k', scim_token: 't' },
    });
    const [run] = await waitFor('the run to be recorded as failed on a later attempt', async () => {
      const runs = await runStatuses(dataSource, account.id);
      return runs.length > 0 && runs[0].status === 'failed' && runs;
    });
    expect(run.status).toBe('failed');
    expect(transaction.mock.calls.length).toBeGreaterThanOrEqual(2);
    // give a rejection left unhandled the turn Node needs to report it
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(unhandled).toEqual([]);
  });
});
