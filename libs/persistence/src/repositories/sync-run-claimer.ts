import { Client } from 'pg';
import type { SyncRunEntity } from '../entities/operations.entities';
import { syncRunFromRow } from './sync-queue.repository';

/** Runs some poller could execute now: queued, running (its owner may be dead) or due after a budget wait. */
const DUE = `(status IN ('queued', 'running') OR (status = 'waiting_for_budget' AND resume_at <= now()))`;
/** Manual runs first, then the most overdue; runs whose owner still renews its lease last (SyncQueueRepository.listClaimable). */
const DUE_ORDER = `(status = 'running' AND lease_expires_at > now()), (status = 'queued' AND trigger = 'manual') DESC, COALESCE(resume_at, started_at)`;
/** Running runs whose lease expired: their owner died (a live owner renews every tick). */
const EXPIRED = `(status = 'running' AND lease_expires_at < now())`;

export interface ClaimOptions {
  owner: string;
  leaseSeconds: number;
  /** Runs to claim at most. */
  limit: number;
  /** Accounts whose runs this process executes already (a session's advisory lock is re-entrant: they must be left out). */
  busyAccountIds: readonly string[];
}

/**
 * Claims sync runs for one poller process. The session-level advisory lock that makes a poller the only executor of
 * an account's runs is held, for every run of the process, on this one connection: Postgres releases them all the
 * moment the process dies, and a run that waits (for its account's pace, for a slot) costs no connection of its own.
 * A claim takes up to N runs, their row locks (SKIP LOCKED: replicas claiming at once pass each other) and their
 * accounts' advisory locks in one statement, in claim order. If the connection is lost, every lock with it:
 * `onLost` is told, so the process stops the runs it can no longer prove it owns; the next claim reconnects.
 */
export class SyncRunClaimer {
  private connection?: Promise<Client>;
  /** Accounts locked on the current connection. */
  private locked = new Set<string>();

  constructor(
    private readonly databaseUrl: string,
    private readonly applicationName: string,
    private readonly onLost: (error: Error) => void,
  ) {}

  /** Due runs, manual first then the most overdue. */
  claimDue(options: ClaimOptions): Promise<SyncRunEntity[]> {
    return this.claim(DUE, DUE_ORDER, options);
  }

  /** Runs whose owner died (lease expired), the longest expired first. */
  claimExpired(options: ClaimOptions): Promise<SyncRunEntity[]> {
    return this.claim(EXPIRED, 'lease_expires_at', options);
  }

  /** The run of this account ended: its advisory lock goes. Never throws. */
  async release(accountId: string): Promise<void> {
    if (!this.locked.delete(accountId) || !this.connection) return;
    const connection = this.connection;
    await connection
      .then((client) => client.query(`SELECT pg_advisory_unlock(hashtext($1))`, [`kb4-sync-account:${accountId}`]))
      .catch(() => undefined);
  }

  /** Ends the connection (every lock with it); never throws. */
  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    this.locked = new Set();
    await connection?.then((client) => client.end()).catch(() => undefined);
  }

  private async claim(where: string, order: string, options: ClaimOptions): Promise<SyncRunEntity[]> {
    if (options.limit <= 0) return [];
    const client = await this.client();
    let rows: Array<Record<string, unknown>>;
    try {
      ({ rows } = await client.query<Record<string, unknown>>(
        `WITH candidates AS (
           SELECT id, account_id FROM sync_runs
            WHERE ${where} AND account_id <> ALL($3::uuid[])
            ORDER BY ${order}
            LIMIT $4
            FOR UPDATE SKIP LOCKED
         ), claimed AS (
           -- in claim order, until enough are locked: an account another poller holds is passed over
           SELECT id FROM candidates WHERE pg_try_advisory_lock(hashtext('kb4-sync-account:' || account_id::text)) LIMIT $5
         )
         UPDATE sync_runs r
            SET status = 'running', lease_owner = $1, lease_expires_at = now() + make_interval(secs => $2),
                started_at = CASE WHEN r.status = 'queued' THEN now() ELSE r.started_at END, resume_at = NULL
           FROM claimed
          WHERE r.id = claimed.id
        RETURNING r.*`,
        [options.owner, options.leaseSeconds, options.busyAccountIds, options.limit + 8, options.limit],
      ));
    } catch (error) {
      // advisory locks taken by a failed statement outlive it: only ending the session surely drops them
      this.lost(error as Error);
      throw error;
    }
    const runs = rows.map(syncRunFromRow);
    for (const run of runs) this.locked.add(run.accountId);
    return runs;
  }

  private client(): Promise<Client> {
    this.connection ??= this.connect();
    return this.connection.catch((error: unknown) => {
      this.connection = undefined;
      throw error;
    });
  }

  private async connect(): Promise<Client> {
    const client = new Client({ connectionString: this.databaseUrl, application_name: this.applicationName });
    const lost = (error: Error): void => {
      if (this.connection === undefined) return;
      void this.connection.then((current) => current === client && this.lost(error), () => undefined);
    };
    client.on('error', lost);
    client.on('end', () => lost(new Error('the account lock session ended')));
    await client.connect();
    return client;
  }

  private lost(error: Error): void {
    const connection = this.connection;
    this.connection = undefined;
    this.locked = new Set();
    void connection?.then((client) => client.end()).catch(() => undefined);
    this.onLost(error);
  }
}
