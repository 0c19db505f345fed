/**
 * How many KnowBe4 requests an account's syncs cost, decided before a run spends one (issue 16 point 3). A no-change
 * sync must cost the fewest requests KnowBe4 allows: one request per page of groups and of users (every status, 500 a
 * page), nothing else. The large or slow-changing lists — enrollments, GET /account's seat figures — are read on
 * cadences of their own, and the day's requests per account are planned against KnowBe4's daily budget (2,000 +
 * licensed users) so the budget is never exhausted by the plan itself.
 */

export interface ListCadences {
  /** Seconds between directory syncs of the account (POLL_INTERVAL_SECONDS or the account's own). */
  syncIntervalSeconds: number;
  /** Seconds between reads of the enrollments list; 0 = every run; null = never (SYNC_ENROLLMENTS=false). */
  enrollmentsIntervalSeconds: number | null;
  /** Seconds between reads of GET /account. */
  accountIntervalSeconds: number;
  /** Real seconds per simulated second are 1 / timeScale: every cadence is divided by it (fleet benchmarks). */
  timeScale: number;
}

export type ListDecision = { read: true } | { read: false; due_at: string | null };

export interface RunListPlan {
  enrollments: ListDecision;
  account: ListDecision;
}

const due = (lastReadAt: Date | null, intervalSeconds: number, timeScale: number, now: Date): ListDecision => {
  if (lastReadAt === null) return { read: true };
  const dueAt = lastReadAt.getTime() + (intervalSeconds * 1000) / timeScale;
  return now.getTime() >= dueAt ? { read: true } : { read: false, due_at: new Date(dueAt).toISOString() };
};

/** Which lists with cadences of their own this run reads: each when its cadence has passed since it was last read. */
export function planRunLists(
  now: Date,
  lastRead: { enrollmentsReadAt: Date | null; accountReadAt: Date | null },
  cadences: ListCadences,
): RunListPlan {
  return {
    enrollments:
      cadences.enrollmentsIntervalSeconds === null
        ? { read: false, due_at: null }
        : due(lastRead.enrollmentsReadAt, cadences.enrollmentsIntervalSeconds, cadences.timeScale, now),
    account: due(lastRead.accountReadAt, cadences.accountIntervalSeconds, cadences.timeScale, now),
  };
}

/** The fewest requests that can tell KnowBe4's directory did not change: every page of groups and of users (an empty list is one request). */
export function minimumDirectoryRequests(users: number, groups: number, perPage: number): number {
  const pages = (n: number): number => Math.max(1, Math.ceil(n / perPage));
  return pages(users) + pages(groups);
}

export interface DayPlanInput {
  users: number;
  groups: number;
  /** Enrollments the mirror holds (the list's size when it was last read). */
  enrollments: number;
  perPage: number;
  cadences: ListCadences;
  /** Share of the daily budget the identity graph may spend (SYNC_GRAPH_DAILY_SHARE; 0 without the graph). */
  graphShare: number;
}

export interface DayPlan {
  /** KnowBe4's daily budget: 2,000 + licensed users (the users listed stand in until GET /account says). */
  daily_budget: number;
  syncs_per_day: number;
  requests: { directory: number; enrollments: number; account: number; graph_allowance: number; total: number };
  /** Requests left for everything else (proxy, retries, deletion checks); negative: the plan does not fit. */
  headroom: number;
  fits: boolean;
  minimum_per_sync: number;
}

/** The requests one account's syncs plan to spend per (simulated) day, against its daily budget. */
export function planDay(input: DayPlanInput): DayPlan {
  const day = 86_400;
  const { cadences } = input;
  const syncsPerDay = Math.floor(day / cadences.syncIntervalSeconds);
  const minimum = minimumDirectoryRequests(input.users, input.groups, input.perPage);
  const enrollmentPages = Math.max(1, Math.ceil(input.enrollments / input.perPage));
  const enrollmentReads =
    cadences.enrollmentsIntervalSeconds === null ? 0 : Math.min(syncsPerDay, Math.ceil(day / Math.max(cadences.enrollmentsIntervalSeconds, cadences.syncIntervalSeconds)));
  const accountReads = Math.min(syncsPerDay, Math.ceil(day / Math.max(cadences.accountIntervalSeconds, cadences.syncIntervalSeconds)));
  const dailyBudget = 2000 + input.users;
  const requests = {
    directory: syncsPerDay * minimum,
    enrollments: enrollmentReads * enrollmentPages,
    account: accountReads,
    graph_allowance: Math.floor(dailyBudget * input.graphShare),
    total: 0,
  };
  requests.total = requests.directory + requests.enrollments + requests.account + requests.graph_allowance;
  return { daily_budget: dailyBudget, syncs_per_day: syncsPerDay, requests, headroom: dailyBudget - requests.total, fits: requests.total <= dailyBudget, minimum_per_sync: minimum };
}
