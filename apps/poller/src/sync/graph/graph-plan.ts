import type { GraphResource, GraphRefreshState, RecipientCandidate } from '@kb4/persistence';

/**
 * Which identity-graph resources a run refreshes, decided before it spends a request. KnowBe4 allows 2,000 requests a
 * day plus one per licensed user, shared by everything that reads the account (users sync, proxy, graph); the graph
 * may spend at most `dailyShare` of that per rolling day. A resource is refreshed when its cadence has passed and its
 * estimated cost fits what is left; otherwise it is skipped with the reason, which the run records (`graph_plan`).
 */

export interface GraphCadences {
  /** Seconds between refreshes of each resource. */
  phishing_campaigns: number;
  security_tests: number;
  /** Recent tests' recipients are read again when older than this (changed tests are read at once). */
  recipients: number;
  account_risk: number;
  group_risk: number;
  /** One slice of users per refresh; all users are covered every ceil(users / slice) refreshes. */
  user_risk: number;
}

export interface GraphSettings {
  cadences: GraphCadences;
  /** Share of the daily budget (0–1) the graph may spend per rolling 24 hours. */
  dailyShare: number;
  /** Length of KnowBe4's rolling day in seconds: 86,400, divided by TIME_SCALE when time is compressed (fleet benches). */
  budgetWindowSeconds: number;
  /** Most requests one run spends on the graph: keeps a run inside KnowBe4's burst limit (50 a minute). */
  maxRequestsPerRun: number;
  /** Most users whose risk history one run reads. */
  userRiskSlice: number;
  /** Tests started within this many days count as recent: their recipients still change. */
  recentTestDays: number;
  perPage: number;
}

export const DEFAULT_GRAPH_SETTINGS: GraphSettings = {
  cadences: { phishing_campaigns: 3600, security_tests: 3600, recipients: 6 * 3600, account_risk: 24 * 3600, group_risk: 24 * 3600, user_risk: 24 * 3600 },
  dailyShare: 0.25,
  budgetWindowSeconds: 86_400,
  maxRequestsPerRun: 30,
  userRiskSlice: 200,
  recentTestDays: 30,
  perPage: 500,
};

export type SkipReason = 'not_due' | 'over_budget' | 'nothing_to_read';

export interface PlannedStep {
  resource: GraphResource;
  /** Requests the step is expected to make. */
  estimated_requests: number;
  /** group_risk / user_risk: the subjects it reads; recipients: the tests. */
  subjects?: string[];
  /** group_risk / user_risk: where the slice ends (the next one starts after it); null: the cycle is complete. */
  position?: string | null;
}

export interface SkippedStep {
  resource: GraphResource;
  reason: SkipReason;
  estimated_requests: number;
  /** not_due: when it is due next. */
  due_at?: string;
  /** recipients: tests left for a later run. */
  subjects_skipped?: number;
}

export interface GraphPlan {
  planned_at: string;
  /** `graph_spent_last_24h`: spent within the rolling day (`window_seconds` long: shorter under TIME_SCALE). */
  budget: { daily: number; graph_share: number; graph_allowance: number; graph_spent_last_24h: number; window_seconds: number; per_run: number; available: number };
  steps: PlannedStep[];
  skipped: SkippedStep[];
}

/** The next subjects of a sliced resource (group or user risk history): ids after the stored position, in id order. */
export interface SubjectSlice {
  ids: readonly string[];
  /** More ids exist after the last of `ids`. */
  more: boolean;
  /** A cycle over all subjects is under way (the last refresh stopped at a position): go on without waiting for the cadence. */
  midCycle: boolean;
}

export interface GraphPlanInput {
  now: Date;
  settings: GraphSettings;
  /** Licensed users (KnowBe4's `number_of_seats`), or the mirror's user count when never read. */
  licensedUsers: number;
  state: ReadonlyMap<GraphResource, GraphRefreshState>;
  /**
   * Graph requests the account's runs recorded within the rolling day before `now`; without it, what the last
   * refresh of each resource cost (an undercount: a resource refreshed twice in the day counts once).
   */
  spentInWindow?: number;
  sizes: { campaigns: number; tests: number };
  groups: SubjectSlice;
  users: SubjectSlice;
}

const pagesFor = (records: number, perPage: number): number => Math.max(1, Math.ceil(records / perPage));

export function dailyBudget(licensedUsers: number): number {
  return 2000 + Math.max(0, licensedUsers);
}

/** Graph requests spent within the rolling day (`windowSeconds`) before `now`, as the last refresh of each resource has them. */
export function spentByLastRefreshes(state: ReadonlyMap<GraphResource, GraphRefreshState>, now: Date, windowSeconds: number): number {
  let spent = 0;
  for (const s of state.values()) if (now.getTime() - s.refreshedAt.getTime() < windowSeconds * 1000) spent += s.requests;
  return spent;
}

/** The list and risk steps of a run; recipients get what is left and are chosen once the tests are fresh (planRecipients). */
export function planGraphRefresh(input: GraphPlanInput): GraphPlan {
  const { now, settings, state } = input;
  const daily = dailyBudget(input.licensedUsers);
  const allowance = Math.floor(daily * settings.dailyShare);
  const spent = input.spentInWindow ?? spentByLastRefreshes(state, now, settings.budgetWindowSeconds);
  let available = Math.min(settings.maxRequestsPerRun, Math.max(0, allowance - spent));
  const plan: GraphPlan = {
    planned_at: now.toISOString(),
    budget: { daily, graph_share: settings.dailyShare, graph_allowance: allowance, graph_spent_last_24h: spent, window_seconds: settings.budgetWindowSeconds, per_run: settings.maxRequestsPerRun, available },
    steps: [],
    skipped: [],
  };
  const dueAt = (resource: keyof GraphCadences): Date | null => {
    const last = state.get(resource);
    return last ? new Date(last.refreshedAt.getTime() + settings.cadences[resource] * 1000) : null;
  };
  const notDue = (resource: keyof GraphCadences, estimate: number): boolean => {
    const due = dueAt(resource);
    if (!due || due <= now) return false;
    plan.skipped.push({ resource, reason: 'not_due', estimated_requests: estimate, due_at: due.toISOString() });
    return true;
  };
  const list = (resource: 'phishing_campaigns' | 'security_tests' | 'account_risk', estimate: number): void => {
    if (notDue(resource, estimate)) return;
    if (estimate > available) {
      plan.skipped.push({ resource, reason: 'over_budget', estimated_requests: estimate });
      return;
    }
    available -= estimate;
    plan.steps.push({ resource, estimated_requests: estimate });
  };
  list('phishing_campaigns', pagesFor(input.sizes.campaigns, settings.perPage));
  list('security_tests', pagesFor(input.sizes.tests, settings.perPage));
  list('account_risk', 1);
  // histories cost a request per subject: read in slices that go round all subjects (a cycle), at most half of what
  // is left each, so the recipients of changed tests (chosen later) keep a share
  const sliced = (resource: 'group_risk' | 'user_risk', slice: SubjectSlice, most: number): void => {
    const wanted = Math.min(most, slice.ids.length);
    if (!slice.midCycle && notDue(resource, wanted)) return;
    if (wanted === 0) {
      plan.skipped.push({ resource, reason: 'nothing_to_read', estimated_requests: 0 });
      return;
    }
    const take = Math.min(wanted, Math.floor(available / 2));
    if (take === 0) {
      plan.skipped.push({ resource, reason: 'over_budget', estimated_requests: wanted });
      return;
    }
    available -= take;
    const subjects = slice.ids.slice(0, take);
    // the cycle ends with this slice when it reaches the last subject; the next one waits for the cadence
    const ends = take === slice.ids.length && !slice.more;
    plan.steps.push({ resource, estimated_requests: take, subjects, position: ends ? null : subjects[subjects.length - 1] });
  };
  sliced('group_risk', input.groups, Number.MAX_SAFE_INTEGER);
  sliced('user_risk', input.users, settings.userRiskSlice);
  plan.budget.available = available;
  return plan;
}

/**
 * Which tests' recipients a run reads, from the candidates (changed first, then recent, newest first): those whose
 * estimated pages fit the budget left. Recipients are never read for a test that did not change and is not recent.
 */
export function planRecipients(plan: GraphPlan, candidates: readonly RecipientCandidate[], settings: GraphSettings): GraphPlan {
  let available = plan.budget.available;
  const chosen: string[] = [];
  let estimate = 0;
  let left = 0;
  for (const test of candidates) {
    const cost = pagesFor(test.scheduled ?? 1, settings.perPage);
    if (cost <= available) {
      available -= cost;
      estimate += cost;
      chosen.push(test.remoteId);
    } else {
      left += 1;
    }
  }
  const steps = plan.steps.filter((s) => s.resource !== 'recipients');
  const skipped = plan.skipped.filter((s) => s.resource !== 'recipients');
  if (chosen.length > 0) steps.push({ resource: 'recipients', estimated_requests: estimate, subjects: chosen });
  if (candidates.length === 0) skipped.push({ resource: 'recipients', reason: 'nothing_to_read', estimated_requests: 0 });
  if (left > 0) skipped.push({ resource: 'recipients', reason: 'over_budget', estimated_requests: 0, subjects_skipped: left });
  return { ...plan, budget: { ...plan.budget, available }, steps, skipped };
}
