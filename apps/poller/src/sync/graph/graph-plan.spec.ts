import type { GraphRefreshState, GraphResource } from '@kb4/persistence';
import { DEFAULT_GRAPH_SETTINGS, GraphPlanInput, GraphSettings, planGraphRefresh, planRecipients, SubjectSlice } from './graph-plan';

const now = new Date('2026-11-28T12:00:00.000Z');
const hoursAgo = (h: number): Date => new Date(now.getTime() - h * 3_600_000);
const ids = (n: number, from = 1000): string[] => Array.from({ length: n }, (_, i) => String(from + i));
const slice = (list: string[], more = false, midCycle = false): SubjectSlice => ({ ids: list, more, midCycle });
const roomy: GraphSettings = { ...DEFAULT_GRAPH_SETTINGS, maxRequestsPerRun: 1000 };
const input = (over: Partial<GraphPlanInput> = {}): GraphPlanInput => ({
  now,
  settings: roomy,
  licensedUsers: 400,
  state: new Map(),
  sizes: { campaigns: 5, tests: 12 },
  groups: slice(['1', '2', '3']),
  users: slice(ids(200), true),
  ...over,
});
const resources = (steps: { resource: string }[]) => steps.map((s) => s.resource);
const refreshed = (h: number, requests = 1, position: string | null = null): GraphRefreshState => ({ refreshedAt: hoursAgo(h), requests, position });

describe('planGraphRefresh', () => {
  it('refreshes everything on a first run, within a quarter of 2,000 + licensed users', () => {
    const plan = planGraphRefresh(input());
    expect(plan.budget).toMatchObject({ daily: 2400, graph_allowance: 600, graph_spent_last_24h: 0 });
    expect(resources(plan.steps)).toEqual(['phishing_campaigns', 'security_tests', 'account_risk', 'group_risk', 'user_risk']);
    // 597 left after the lists; groups take 3; users at most half of the 594 left, and no more than the slice
    expect(plan.steps.find((s) => s.resource === 'user_risk')).toMatchObject({ estimated_requests: 200, position: '1199' });
    expect(plan.steps.find((s) => s.resource === 'group_risk')).toMatchObject({ subjects: ['1', '2', '3'], position: null });
    expect(plan.budget.available).toBe(600 - 3 - 3 - 200);
  });

  it('keeps a run inside its per-run cap, leaving half of what is left after the lists to recipients', () => {
    const plan = planGraphRefresh(input({ settings: DEFAULT_GRAPH_SETTINGS, groups: slice(ids(50, 1), true) }));
    expect(plan.budget.per_run).toBe(30);
    expect(plan.steps.find((s) => s.resource === 'group_risk')).toMatchObject({ estimated_requests: 13, position: '13' });
    expect(plan.steps.find((s) => s.resource === 'user_risk')).toMatchObject({ estimated_requests: 7 });
    expect(plan.budget.available).toBe(30 - 3 - 13 - 7);
  });

  it('spends nothing when no resource is due: a no-change resync costs the users sync alone', () => {
    const fresh = new Map<GraphResource, GraphRefreshState>((['phishing_campaigns', 'security_tests', 'account_risk', 'group_risk', 'user_risk'] as const).map((r) => [r, refreshed(0.1)]));
    const plan = planGraphRefresh(input({ state: fresh }));
    expect(plan.steps).toEqual([]);
    expect(plan.skipped.every((s) => s.reason === 'not_due' && s.due_at !== undefined)).toBe(true);
  });

  it('goes on with a cycle over users that stopped half-way without waiting for the cadence', () => {
    const state = new Map<GraphResource, GraphRefreshState>([['user_risk', refreshed(0.1, 200, '1199')]]);
    const plan = planGraphRefresh(input({ state, users: slice(ids(50, 1200), false, true) }));
    // the last slice of the cycle: it reaches the last user, so the cycle ends (position null) and waits a day
    expect(plan.steps.find((s) => s.resource === 'user_risk')).toMatchObject({ estimated_requests: 50, position: null });
  });

  it('skips what the budget cannot pay for and says so', () => {
    const spent = new Map<GraphResource, GraphRefreshState>([['recipients', refreshed(2, 597)]]);
    const plan = planGraphRefresh(input({ state: spent }));
    expect(plan.budget).toMatchObject({ graph_spent_last_24h: 597, available: 0 });
    expect(resources(plan.steps)).toEqual(['phishing_campaigns', 'security_tests', 'account_risk']);
    expect(plan.skipped).toEqual([
      { resource: 'group_risk', reason: 'over_budget', estimated_requests: 3 },
      { resource: 'user_risk', reason: 'over_budget', estimated_requests: 200 },
    ]);
  });

  it('counts only the last 24 hours as spent', () => {
    const state = new Map<GraphResource, GraphRefreshState>([['recipients', refreshed(1, 500)], ['security_tests', { ...refreshed(25, 5000) }]]);
    const plan = planGraphRefresh(input({ state }));
    expect(plan.budget.graph_spent_last_24h).toBe(500);
    expect(plan.steps.find((s) => s.resource === 'user_risk')).toMatchObject({ estimated_requests: 47 });
  });

  it('counts spend within the rolling day of the simulated clock: at TIME_SCALE 24 a day lasts an hour', () => {
    const compressed: GraphSettings = { ...roomy, budgetWindowSeconds: 86_400 / 24 };
    const state = new Map<GraphResource, GraphRefreshState>([['recipients', refreshed(0.5, 500)], ['security_tests', refreshed(1.5, 5000)]]);
    const plan = planGraphRefresh(input({ settings: compressed, state }));
    expect(plan.budget).toMatchObject({ graph_spent_last_24h: 500, window_seconds: 3600 });
  });

  it("takes the spend the account's runs recorded in the window over what the last refreshes cost", () => {
    const state = new Map<GraphResource, GraphRefreshState>([['user_risk', refreshed(1, 20, '1019')]]);
    const plan = planGraphRefresh(input({ state, spentInWindow: 590 }));
    // the last refresh alone says 20; 10 of the 600 are left: the three lists, the three groups, then 4 unspent
    expect(plan.budget).toMatchObject({ graph_spent_last_24h: 590, available: 4 });
    expect(resources(plan.steps)).toEqual(['phishing_campaigns', 'security_tests', 'account_risk', 'group_risk']);
  });

  it('has nothing to read for an account without groups or users', () => {
    const plan = planGraphRefresh(input({ groups: slice([]), users: slice([]) }));
    expect(plan.skipped).toEqual([
      { resource: 'group_risk', reason: 'nothing_to_read', estimated_requests: 0 },
      { resource: 'user_risk', reason: 'nothing_to_read', estimated_requests: 0 },
    ]);
  });
});

describe('planRecipients', () => {
  const base = () => planGraphRefresh(input({ users: slice([]) }));

  it('reads changed and recent tests, newest first, page cost by scheduled recipients, until the budget is spent', () => {
    const plan = planRecipients({ ...base(), budget: { ...base().budget, available: 4 } }, [
      { remoteId: '9', scheduled: 1200, changed: true, startedAt: null },
      { remoteId: '8', scheduled: 10, changed: false, startedAt: hoursAgo(24) },
      { remoteId: '7', scheduled: null, changed: false, startedAt: hoursAgo(48) },
    ], roomy);
    expect(plan.steps.find((s) => s.resource === 'recipients')).toEqual({ resource: 'recipients', estimated_requests: 4, subjects: ['9', '8'] });
    expect(plan.skipped.find((s) => s.resource === 'recipients')).toEqual({ resource: 'recipients', reason: 'over_budget', estimated_requests: 0, subjects_skipped: 1 });
    expect(plan.budget.available).toBe(0);
  });

  it('records that no test needed its recipients read', () => {
    const plan = planRecipients(base(), [], roomy);
    expect(resources(plan.steps)).not.toContain('recipients');
    expect(plan.skipped).toContainEqual({ resource: 'recipients', reason: 'nothing_to_read', estimated_requests: 0 });
  });
});
