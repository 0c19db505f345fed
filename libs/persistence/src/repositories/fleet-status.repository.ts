import { DataSource } from 'typeorm';

export interface AccountSyncLag {
  accountId: string;
  /** Seconds since the last complete sync; null: never completed. */
  lagSeconds: number | null;
  /** The account's cadence (its interval or the default) in real seconds, i.e. divided by the time scale. */
  cadenceSeconds: number;
  waitingForBudget: boolean;
}

/**
 * The fleet as an operator watches it (issue 16 point 5): each active account's lag against its cadence, runs parked
 * for their daily budget, and how much of each KnowBe4 budget the current daily window has used.
 */
export class FleetStatusRepository {
  constructor(private readonly dataSource: DataSource) {}

  async syncLagOfActive(defaultIntervalSeconds: number, timeScale = 1): Promise<AccountSyncLag[]> {
    const rows = await this.dataSource.query<Array<{ id: string; lag: number | null; cadence: number; waiting: boolean }>>(
      `SELECT a.id, extract(epoch FROM now() - a.last_sync_completed_at)::float8 AS lag,
              COALESCE(a.poll_interval_seconds, $1)::float8 / $2 AS cadence,
              EXISTS (SELECT 1 FROM sync_runs r WHERE r.account_id = a.id AND r.status = 'waiting_for_budget') AS waiting
         FROM integrated_accounts a WHERE a.status = 'active'`,
      [defaultIntervalSeconds, timeScale],
    );
    return rows.map((r) => ({ accountId: r.id, lagSeconds: r.lag === null ? null : Number(r.lag), cadenceSeconds: Number(r.cadence), waitingForBudget: r.waiting }));
  }

  /** One account's lag (null when it does not exist). */
  async syncLagOf(accountId: string, defaultIntervalSeconds: number, timeScale = 1): Promise<AccountSyncLag | null> {
    const [row] = await this.dataSource.query<Array<{ id: string; lag: number | null; cadence: number; waiting: boolean }>>(
      `SELECT a.id, extract(epoch FROM now() - a.last_sync_completed_at)::float8 AS lag,
              COALESCE(a.poll_interval_seconds, $2)::float8 / $3 AS cadence,
              EXISTS (SELECT 1 FROM sync_runs r WHERE r.account_id = a.id AND r.status = 'waiting_for_budget') AS waiting
         FROM integrated_accounts a WHERE a.id = $1`,
      [accountId, defaultIntervalSeconds, timeScale],
    );
    return row ? { accountId: row.id, lagSeconds: row.lag === null ? null : Number(row.lag), cadenceSeconds: Number(row.cadence), waitingForBudget: row.waiting } : null;
  }

  /** Requests used in each budget's daily window that is still open at `now` (a closed window counts as 0). */
  async budgetsUsedToday(budgetKeys: readonly string[], dailyWindowMs: number, now: number): Promise<Map<string, number>> {
    if (budgetKeys.length === 0) return new Map();
    const rows = await this.dataSource.query<Array<{ key: string; used: number; started: string | null }>>(
      `SELECT budget_key AS key, daily_used AS used, daily_window_started_ms::text AS started FROM knowbe4_rate_budgets WHERE budget_key = ANY($1::text[])`,
      [budgetKeys],
    );
    return new Map(rows.map((r) => [r.key, r.started !== null && now < Number(r.started) + dailyWindowMs ? r.used : 0]));
  }
}
