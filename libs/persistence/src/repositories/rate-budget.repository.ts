import { DataSource } from 'typeorm';

/** A rolling limit: at most `limit` requests in any `windowMs`. (Structurally the same as @kb4/knowbe4's RateWindow.) */
export interface BudgetWindow {
  limit: number;
  windowMs: number;
}

export interface SlotRequest {
  budgetKey: string;
  windows: BudgetWindow[];
  dailyLimit?: number;
  dailyWindowMs: number;
  now: number;
}

export type SlotDecision = { kind: 'slot'; at: number } | { kind: 'exhausted'; resumeAt: number; dailyLimit: number };

// two-int advisory locks live in their own key space; this class id keeps them apart from other users of it
const RATE_BUDGET_LOCK_CLASS = 0x6b62_34; // "kb4"

/** Same rule as @kb4/knowbe4's earliestSlot (persistence may not import the client lib). */
function earliestSlot(takenAscending: readonly number[], windows: readonly BudgetWindow[], now: number): number {
  let at = now;
  const count = takenAscending.length;
  if (count > 0) at = Math.max(at, takenAscending[count - 1]);
  for (const window of windows) {
    if (count >= window.limit) at = Math.max(at, takenAscending[count - window.limit] + window.windowMs);
  }
  return at;
}

/**
 * KnowBe4 request budgets in Postgres, shared by every process (implements @kb4/knowbe4's RateBudgetStore).
 * A reservation runs under a transaction-scoped advisory lock per budget key, so two processes never take the
 * same slot nor both take the last request of the day.
 */
export class RateBudgetRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Takes the next request slot of a budget (rolling windows and daily count together), or says when the day resumes. */
  reserve(request: SlotRequest): Promise<SlotDecision> {
    const { budgetKey, windows, dailyLimit, dailyWindowMs, now } = request;
    const keep = Math.max(0, ...windows.map((w) => w.limit));
    const horizon = Math.max(0, ...windows.map((w) => w.windowMs));
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock($1::int, hashtext($2::text))`, [RATE_BUDGET_LOCK_CLASS, budgetKey]);
      const [budget] = await manager.query<Array<{ started: string | null; used: number }>>(
        `INSERT INTO knowbe4_rate_budgets (budget_key) VALUES ($1) ON CONFLICT (budget_key) DO UPDATE SET updated_at = now()
         RETURNING daily_window_started_ms::text AS started, daily_used AS used`,
        [budgetKey],
      );

      let started = budget.started === null ? undefined : Number(budget.started);
      let used = budget.used;
      if (dailyLimit !== undefined) {
        // a daily window opens with its first request and closes dailyWindowMs later; the next request opens a new one
        if (started === undefined || now >= started + dailyWindowMs) {
          started = now;
          used = 0;
        }
        if (used >= dailyLimit) return { kind: 'exhausted', resumeAt: started + dailyWindowMs, dailyLimit };
      }

      let at = now;
      if (keep > 0) {
        const recent = await manager.query<Array<{ slot: string }>>(
          `SELECT slot_ms::text AS slot FROM knowbe4_rate_slots WHERE budget_key = $1 ORDER BY slot_ms DESC LIMIT $2`,
          [budgetKey, keep],
        );
        at = earliestSlot(recent.map((r) => Number(r.slot)).reverse(), windows, now);
        await manager.query(`INSERT INTO knowbe4_rate_slots (budget_key, slot_ms) VALUES ($1, $2)`, [budgetKey, at]);
        // slots older than the longest window can no longer constrain anything
        await manager.query(`DELETE FROM knowbe4_rate_slots WHERE budget_key = $1 AND slot_ms < $2`, [budgetKey, now - horizon]);
      }
      if (dailyLimit !== undefined) {
        await manager.query(`UPDATE knowbe4_rate_budgets SET daily_window_started_ms = $2, daily_used = $3 WHERE budget_key = $1`, [
          budgetKey,
          started,
          used + 1,
        ]);
      }
      return { kind: 'slot', at };
    });
  }

  /** How much of a budget's daily window is used (for status pages and tests). */
  async dailyUsage(budgetKey: string): Promise<{ used: number; windowStartedAt: Date | null } | null> {
    const [row] = await this.dataSource.query<Array<{ used: number; started: string | null }>>(
      `SELECT daily_used AS used, daily_window_started_ms::text AS started FROM knowbe4_rate_budgets WHERE budget_key = $1`,
      [budgetKey],
    );
    if (!row) return null;
    return { used: row.used, windowStartedAt: row.started === null ? null : new Date(Number(row.started)) };
  }
}
