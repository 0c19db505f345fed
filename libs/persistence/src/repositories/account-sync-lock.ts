import { Client } from 'pg';

/**
 * The session-level advisory lock that makes one poller the only executor of an account's runs. It lives on its
 * own connection for the whole run, so Postgres releases it the moment the holding process dies.
 */
export class AccountSyncLock {
  private constructor(private readonly connection: Client) {}

  /** The lock, or null when another session holds it. */
  static async tryAcquire(databaseUrl: string, accountId: string, applicationName: string): Promise<AccountSyncLock | null> {
    const connection = new Client({ connectionString: databaseUrl, application_name: applicationName });
    connection.on('error', () => undefined);
    await connection.connect();
    try {
      const { rows } = await connection.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(hashtext($1)) AS locked`, [`kb4-sync-account:${accountId}`]);
      if (rows[0]?.locked) return new AccountSyncLock(connection);
    } catch (error) {
      await connection.end().catch(() => undefined);
      throw error;
    }
    await connection.end().catch(() => undefined);
    return null;
  }

  /** Ends the lock's connection (Postgres drops the lock with it); never throws. */
  async release(): Promise<void> {
    await this.connection.end().catch(() => undefined);
  }
}
