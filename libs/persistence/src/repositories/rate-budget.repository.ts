import { DataSource } from 'typeorm';

/** A rolling limit: at most `limit` requests in any `windowMs`. (Structurally the same as @kb4/knowbe4's RateWindow.) */
export interface BudgetWindow {
  limit: number;
  windowMs: number;
}

export type BudgetLane = 'sync' | 'interactive';

/** Structurally @kb4/knowbe4's BudgetTakeRequest (persistence may not import the client lib). */
export interface SlotRequest {
  budgetKey: string;
  windows: BudgetWindow[];
  dailyLimit?: number;
  dailyWindowMs: number;
  now: number;
  lane: BudgetLane;
  syncReservedShare: number;
  syncActiveMs: number;
}

export type SlotDecision =
  | { kind: 'taken'; at: number }
  | { kind: 'wait'; at: number }
  | { kind: 'exhausted'; resumeAt: number; dailyLimit: number };

// two-int advisory locks live in their own key space; this class id keeps them apart from other users of it
const RATE_BUDGET_LOCK_CLASS = 0x6b62_34; // "kb4"

/** Same rules as @kb4/knowbe4's earliestSlot / interactiveLimit. */
function earliestSlot(takenAscending: readonly number[], windows: readonly BudgetWindow[], now: number): number {
  let at = now;
  const count = takenAscending.length;
  if (count > 0) at = Math.max(at, takenAscending[count - 1]);
  for (const window of windows) {
    if (count >= window.limit) at = Math.max(at, takenAscending[count - window.limit] + window.windowMs);
  }
  return at;
}

function interactiveLimit(limit: number, share: number): number {
  return Math.max(1, Math.floor(limit * (1 - share)));
}

/**
 * KnowBe4 request budgets in Postgres, shared by every process (implements @kb4/knowbe4's RateBudgetStore).
 * A take runs under a transaction-scoped advisory lock per budget key, so two processes never take the same slot
 * nor both take the last request of the day. Slots are taken only when due (never ahead), per lane: the
 * interactive lane leaves syncs a share of the daily budget always, and of every window while a sync is running.
 */
export class RateBudgetRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Takes a request slot at `now` if every window (and the lane's share) allows it; else says when, or that the day is spent. */
  take(request: SlotRequest): Promise<SlotDecision> {
    const { budgetKey, windows, dailyLimit, dailyWindowMs, now, lane, syncReservedShare, syncActiveMs } = request;
    const keep = Math.max(0, ...windows.map((w) => w.limit));
    const horizon = Math.max(0, ...windows.map((w) => w.windowMs));
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock($1::int, hashtext($2::text))`, [RATE_BUDGET_LOCK_CLASS, budgetKey]);
      // a sync's every ask (granted or not) marks it running, so interactive callers yield its share meanwhile
      const [budget] = await manager.query<Array<{ started: string | null; used: number; interactive: number; sync_seen: string | null }>>(
        `INSERT INTO knowbe4_rate_budgets (budget_key, sync_seen_ms) VALUES ($1, $2) ON CONFLICT (budget_key) DO UPDATE
           SET updated_at = now(), sync_seen_ms = COALESCE(EXCLUDED.sync_seen_ms, knowbe4_rate_budgets.sync_seen_ms)
         RETURNING daily_window_started_ms::text AS started, daily_used AS used, interactive_used AS interactive, sync_seen_ms::text AS sync_seen`,
        [budgetKey, lane === 'sync' ? now : null],
      );

      let started = budget.started === null ? undefined : Number(budget.started);
      let used = budget.used;
      let interactiveUsed = budget.interactive;
      if (dailyLimit !== undefined) {
        // a daily window opens with its first request and closes dailyWindowMs later; the next request opens a new one
        if (started === undefined || now >= started + dailyWindowMs) {
          started = now;
          used = 0;
          interactiveUsed = 0;
        }
        if (used >= dailyLimit) return { kind: 'exhausted', resumeAt: started + dailyWindowMs, dailyLimit };
        const interactiveDaily = interactiveLimit(dailyLimit, syncReservedShare);
        if (lane === 'interactive' && interactiveUsed >= interactiveDaily) {
          return { kind: 'exhausted', resumeAt: started + dailyWindowMs, dailyLimit: interactiveDaily };
        }
      }

      let at = now;
      if (keep > 0) {
        const recent = (
          await manager.query<Array<{ slot: string; lane: BudgetLane }>>(
            `SELECT slot_ms::text AS slot, lane FROM knowbe4_rate_slots WHERE budget_key = $1 ORDER BY slot_ms DESC LIMIT $2`,
            [budgetKey, keep],
          )
        ).reverse();
        at = earliestSlot(recent.map((r) => Number(r.slot)), windows, now);
        const syncRunning = budget.sync_seen !== null && now - Number(budget.sync_seen) < syncActiveMs;
        if (lane === 'interactive' && syncRunning && syncReservedShare > 0) {
          const own = recent.filter((r) => r.lane === 'interactive').map((r) => Number(r.slot));
          const ownWindows = windows.map((w) => ({ limit: interactiveLimit(w.limit, syncReservedShare), windowMs: w.windowMs }));
          at = Math.max(at, earliestSlot(own, ownWindows, now));
        }
        if (at > now) return { kind: 'wait', at };
        await manager.query(`INSERT INTO knowbe4_rate_slots (budget_key, slot_ms, lane) VALUES ($1, $2, $3)`, [budgetKey, at, lane]);
        // slots older than the longest window can no longer constrain anything
        await manager.query(`DELETE FROM knowbe4_rate_slots WHERE budget_key = $1 AND slot_ms < $2`, [budgetKey, now - horizon]);
      }
      if (dailyLimit !== undefined) {
        await manager.query(
          `UPDATE knowbe4_rate_budgets SET daily_window_started_ms = $2, daily_used = $3, interactive_used = $4 WHERE budget_key = $1`,
          [budgetKey, started, used + 1, interactiveUsed + (lane === 'interactive' ? 1 : 0)],
        );
      }
      return { kind: 'taken', at };
    });
  }

  /** Gives back a slot taken at `at` for a caller that left before its request was sent (the day's counts go down). */
  giveBack(slot: { budgetKey: string; lane: BudgetLane; at: number }): Promise<void> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock($1::int, hashtext($2::text))`, [RATE_BUDGET_LOCK_CLASS, slot.budgetKey]);
      const deleted = await manager.query<Array<{ slot_ms: string }>>(
        `DELETE FROM knowbe4_rate_slots WHERE ctid = (
           SELECT ctid FROM knowbe4_rate_slots WHERE budget_key = $1 AND slot_ms = $2 AND lane = $3 LIMIT 1
         ) RETURNING slot_ms`,
        [slot.budgetKey, slot.at, slot.lane],
      );
      if (deleted.length === 0) return;
      await manager.query(
        `UPDATE knowbe4_rate_budgets SET daily_used = greatest(daily_used - 1, 0),
           interactive_used = CASE WHEN $3 = 'interactive' THEN greatest(interactive_used - 1, 0) ELSE interactive_used END
         WHERE budget_key = $1 AND daily_window_started_ms <= $2`,
        [slot.budgetKey, slot.at, slot.lane],
      );
    });
  }

  /** How much of a budget's daily window is used, in total and by the interactive lane (for status pages and tests). */
  async dailyUsage(budgetKey: string): Promise<{ used: number; interactiveUsed: number; windowStartedAt: Date | null } | null> {
    const [row] = await this.dataSource.query<Array<{ used: number; interactive: number; started: string | null }>>(
      `SELECT daily_used AS used, interactive_used AS interactive, daily_window_started_ms::text AS started
         FROM knowbe4_rate_budgets WHERE budget_key = $1`,
      [budgetKey],
    );
    if (!row) return null;
    return { used: row.used, interactiveUsed: row.interactive, windowStartedAt: row.started === null ? null : new Date(Number(row.started)) };
  }
}
