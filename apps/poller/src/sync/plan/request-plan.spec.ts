import { minimumDirectoryRequests, planDay, planRunLists, type ListCadences } from './request-plan';

const cadences: ListCadences = { syncIntervalSeconds: 900, enrollmentsIntervalSeconds: 21_600, accountIntervalSeconds: 21_600, timeScale: 1 };
const now = new Date('2026-11-28T12:00:00.000Z');
const hoursAgo = (h: number): Date => new Date(now.getTime() - h * 3_600_000);

describe('request plan', () => {
  it('reads enrollments and GET /account on their own cadences: first run, then only once the cadence has passed', () => {
    expect(planRunLists(now, { enrollmentsReadAt: null, accountReadAt: null }, cadences)).toEqual({ enrollments: { read: true }, account: { read: true } });
    expect(planRunLists(now, { enrollmentsReadAt: hoursAgo(1), accountReadAt: hoursAgo(7) }, cadences)).toEqual({
      enrollments: { read: false, due_at: '2026-11-28T17:00:00.000Z' },
      account: { read: true },
    });
  });

  it('compresses the cadences by the time scale', () => {
    // at 60, six hours last six minutes
    const scaled = { ...cadences, timeScale: 60 };
    expect(planRunLists(now, { enrollmentsReadAt: new Date(now.getTime() - 5 * 60_000), accountReadAt: new Date(now.getTime() - 7 * 60_000) }, scaled)).toEqual({
      enrollments: { read: false, due_at: '2026-11-28T12:01:00.000Z' },
      account: { read: true },
    });
  });

  it('never reads enrollments when the poller does not sync them', () => {
    expect(planRunLists(now, { enrollmentsReadAt: null, accountReadAt: now }, { ...cadences, enrollmentsIntervalSeconds: null }).enrollments).toEqual({ read: false, due_at: null });
  });

  it.each([
    [1000, 40, 500, 3],
    [1001, 40, 500, 4],
    [0, 0, 500, 2],
    [100_000, 60, 500, 201],
  ])('a no-change sync of %i users and %i groups at per_page %i needs at least %i requests', (users, groups, perPage, expected) => {
    expect(minimumDirectoryRequests(users, groups, perPage)).toBe(expected);
  });

  it('plans a 1,000-user tenant synced every 15 minutes well inside its 3,000 requests a day', () => {
    const plan = planDay({ users: 1000, groups: 40, enrollments: 2000, perPage: 500, cadences, graphShare: 0.25 });
    expect(plan).toMatchObject({ daily_budget: 3000, syncs_per_day: 96, minimum_per_sync: 3, fits: true });
    expect(plan.requests).toEqual({ directory: 288, enrollments: 16, account: 4, graph_allowance: 750, total: 1058 });
    expect(plan.headroom).toBe(1942);
  });

  it('says when a plan does not fit: 10,000 users synced every minute need more than the day allows', () => {
    const plan = planDay({ users: 10_000, groups: 60, enrollments: 20_000, perPage: 500, cadences: { ...cadences, syncIntervalSeconds: 60 }, graphShare: 0 });
    expect(plan.requests.directory).toBe(1440 * 21);
    expect(plan.fits).toBe(false);
    expect(plan.headroom).toBeLessThan(0);
  });
});
