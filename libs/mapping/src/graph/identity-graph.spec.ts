import { loadFixture } from '../__fixtures__/load-fixture';
import {
  enrollmentStatusOf,
  graphId,
  toUnifiedEnrollment,
  toUnifiedPhishingCampaign,
  toUnifiedRecipient,
  toUnifiedRiskScoreHistory,
  toUnifiedSecurityTest,
} from './identity-graph';

const fixture = loadFixture('identity-graph.json') as Record<string, unknown[]>;
const ok = <T>(result: { ok: true; record: T } | { ok: false; reason: string }): T => {
  if (!result.ok) throw new Error(result.reason);
  return result.record;
};

describe('identity graph mappings', () => {
  it('maps a documented enrollment with campaign and store purchase ids, the integer employee number as a string', () => {
    expect(ok(toUnifiedEnrollment(fixture.enrollments[0]))).toEqual({
      id: '1425526',
      user_id: '796742',
      user: { id: '796742', email: 's_thomas@kb4-demo.com', first_name: 'Sarah', last_name: 'Thomas', employee_number: '123456' },
      module_name: 'Acceptable Use Policy',
      content_type: 'Uploaded Policy',
      campaign_id: '4261',
      campaign_name: 'New Employee Policies',
      store_purchase_id: '7',
      status: 'passed',
      remote_status: 'Passed',
      enrolled_at: '2019-04-02T15:02:38.000Z',
      started_at: '2019-04-02T15:02:38.000Z',
      completed_at: '2019-04-02T15:02:38.000Z',
      time_spent_seconds: 2340,
      policy_acknowledged: false,
    });
  });

  it('reads dirty enrollments: string ids, ids past 32 bits, the docs spelling store_purchased_id, blanks and garbage as null', () => {
    const e = ok(toUnifiedEnrollment(fixture.enrollments[1]));
    expect(e).toMatchObject({ id: '9000123', user_id: '5000000123', store_purchase_id: '88', status: 'past_due', started_at: null, completed_at: null, time_spent_seconds: null, policy_acknowledged: false, campaign_id: null });
    expect(e.enrolled_at).toBe('2024-01-05T10:00:00.000Z');
    const orphan = ok(toUnifiedEnrollment(fixture.enrollments[2]));
    expect(orphan).toMatchObject({ user: null, user_id: null, status: 'other', remote_status: 'Archived', enrolled_at: null });
    expect(toUnifiedEnrollment(fixture.enrollments[3])).toEqual({ ok: false, reason: 'not an object' });
    expect(toUnifiedEnrollment(fixture.enrollments[4])).toEqual({ ok: false, reason: 'no enrollment_id' });
  });

  it.each([
    ['Passed', 'passed'],
    ['In Progress', 'in_progress'],
    ['not_started', 'not_started'],
    ['PAST DUE', 'past_due'],
    ['Completed', 'passed'],
    [null, 'other'],
    [42, 'other'],
  ])('enrollment status %p is %p', (remote, unified) => expect(enrollmentStatusOf(remote)).toBe(unified));

  it('maps a phishing campaign, dropping group and test entries without an id', () => {
    expect(ok(toUnifiedPhishingCampaign(fixture.campaigns[0]))).toEqual({
      id: '242333',
      name: 'One Phish',
      status: 'Closed',
      hidden: false,
      frequency: 'One Time',
      groups: [{ id: '0', name: 'All Users' }],
      last_phish_prone_percentage: 0.3,
      last_run_at: '2019-04-02T15:02:38.000Z',
      created_at: '2019-04-02T15:02:38.000Z',
      send_duration: '3 Business Days',
      track_duration: '3 Days',
      difficulty_filter: [1, 2, 3],
      security_test_ids: ['1'],
      security_test_count: 1,
    });
  });

  it('maps a security test with every count, landing-page as the docs spell it, the rate as a fraction', () => {
    const test = ok(toUnifiedSecurityTest(fixture.security_tests[0]));
    expect(test).toMatchObject({ id: '16142', campaign_id: '3423', phish_prone_rate: 0.5, duration_days: 1, landing_page: { id: '1842', name: 'SEI Landing Page' }, template: { id: '11428', name: 'CNN Breaking News' } });
    expect(test.counts).toEqual({
      scheduled: 42, delivered: 4, opened: 24, clicked: 20, replied: 0, attachment_opened: 3, macro_enabled: 0, data_entered: 0,
      vulnerable_plugin: 0, exploited: 2, qr_code_scanned: null, reported: 0, bounced: 0,
    });
  });

  it('reads a percentage where a fraction belongs as a percentage, and refuses negative counts', () => {
    const test = ok(toUnifiedSecurityTest(fixture.security_tests[1]));
    expect(test).toMatchObject({ campaign_id: null, phish_prone_rate: 0.125, landing_page: { id: '4072', name: 'Verify Java' } });
    expect(test.counts).toMatchObject({ clicked: null, qr_code_scanned: 4, scheduled: null });
  });

  it('maps recipients: a QR scan is a failure, a report without one is reported, a bounce bounced', () => {
    const [scanned, reported, bounced] = fixture.recipients.map((r) => ok(toUnifiedRecipient(r)));
    expect(scanned).toMatchObject({ id: '3077742', security_test_id: '14240', user_id: '264215', result: 'failed', qr_code_scanned_at: '2022-05-12T15:29:54.000Z', clicked_at: null, browser: 'Chrome' });
    expect(scanned.user).toEqual({ id: '264215', email: 'bob.r@kb4-demo.com', first_name: 'Bob', last_name: 'Ross', provisioning_guid: null });
    expect(reported).toMatchObject({ result: 'reported', reported_at: '2019-04-02T15:04:00.000Z', user: { provisioning_guid: 'a1b2' } });
    expect(bounced).toMatchObject({ result: 'bounced', user: null, user_id: null });
  });

  it('turns risk history into one point per day, oldest first, both date formats alike, dirty entries counted', () => {
    expect(toUnifiedRiskScoreHistory(fixture.risk_history)).toEqual({
      points: [
        { date: '2024-05-01', risk_score: 24 },
        { date: '2024-06-01', risk_score: 23.5 },
      ],
      skipped: 3,
    });
    expect(toUnifiedRiskScoreHistory({ message: 'Internal Server Error' })).toEqual({ points: [], skipped: 0 });
  });

  it.each([
    [5000000123, '5000000123'],
    ['007', '7'],
    [1.5, null],
    [-1, null],
    ['12a', null],
    ['1234567890123456789', null],
  ])('graph id of %p is %p', (raw, id) => expect(graphId(raw)).toBe(id));
});
