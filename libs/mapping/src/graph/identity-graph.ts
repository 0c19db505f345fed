import { normalizeRiskScoreDate, type NormalizeResult } from '../knowbe4/normalize';

/**
 * The identity graph's unified records — training enrollments, phishing campaigns, security tests, their
 * recipients and risk-score history — mapped from KnowBe4 Reporting records as fetched (raw JSON, any field may be
 * missing, null, a string instead of a number, or of an older name). Ids are strings: KnowBe4's exceed 32 bits.
 */

type Raw = Readonly<Record<string, unknown>>;

export type UnifiedEnrollmentStatus = 'not_started' | 'in_progress' | 'passed' | 'past_due' | 'other';
export type UnifiedRecipientResult = 'failed' | 'reported' | 'no_action' | 'bounced' | 'not_delivered';

export interface UnifiedRef {
  id: string;
  name: string | null;
}

export interface UnifiedGraphUser {
  id: string;
  email: string | null;
  first_name: string | null;
  last_name: string | null;
}

export interface UnifiedTrainingEnrollment {
  id: string;
  user_id: string | null;
  /** Inside enrollments KnowBe4 sends the employee number as an integer: leading zeros are lost there. */
  user: (UnifiedGraphUser & { employee_number: string | null }) | null;
  module_name: string | null;
  content_type: string | null;
  campaign_id: string | null;
  campaign_name: string | null;
  store_purchase_id: string | null;
  status: UnifiedEnrollmentStatus;
  /** KnowBe4's own status text (`Passed`, `In Progress`, `Not Started`, `Past Due`, …). */
  remote_status: string | null;
  enrolled_at: string | null;
  started_at: string | null;
  completed_at: string | null;
  time_spent_seconds: number | null;
  policy_acknowledged: boolean | null;
}

export interface UnifiedPhishingCampaign {
  id: string;
  name: string | null;
  status: string | null;
  hidden: boolean | null;
  frequency: string | null;
  groups: UnifiedRef[];
  /** A percentage (12.5 means 12.5 %), as KnowBe4 gives it on campaigns. */
  last_phish_prone_percentage: number | null;
  last_run_at: string | null;
  created_at: string | null;
  send_duration: string | null;
  track_duration: string | null;
  difficulty_filter: number[];
  security_test_ids: string[];
  security_test_count: number | null;
}

export interface UnifiedSecurityTestCounts {
  scheduled: number | null;
  delivered: number | null;
  opened: number | null;
  clicked: number | null;
  replied: number | null;
  attachment_opened: number | null;
  macro_enabled: number | null;
  data_entered: number | null;
  vulnerable_plugin: number | null;
  exploited: number | null;
  qr_code_scanned: number | null;
  reported: number | null;
  bounced: number | null;
}

export interface UnifiedPhishingSecurityTest {
  id: string;
  campaign_id: string | null;
  name: string | null;
  status: string | null;
  groups: UnifiedRef[];
  /** A fraction (0.5 = half the recipients failed); KnowBe4 documents security tests so, unlike users' percentage. */
  phish_prone_rate: number | null;
  started_at: string | null;
  duration_days: number | null;
  categories: UnifiedRef[];
  template: UnifiedRef | null;
  landing_page: UnifiedRef | null;
  counts: UnifiedSecurityTestCounts;
}

export interface UnifiedPhishingRecipient {
  id: string;
  security_test_id: string | null;
  user_id: string | null;
  user: (UnifiedGraphUser & { provisioning_guid: string | null }) | null;
  template: UnifiedRef | null;
  /** Failed when the user clicked, replied, opened an attachment, enabled macros, entered data or scanned the QR code. */
  result: UnifiedRecipientResult;
  scheduled_at: string | null;
  delivered_at: string | null;
  opened_at: string | null;
  clicked_at: string | null;
  replied_at: string | null;
  attachment_opened_at: string | null;
  macro_enabled_at: string | null;
  data_entered_at: string | null;
  qr_code_scanned_at: string | null;
  reported_at: string | null;
  bounced_at: string | null;
  ip: string | null;
  ip_location: string | null;
  browser: string | null;
  browser_version: string | null;
  os: string | null;
}

export interface UnifiedRiskScorePoint {
  /** `YYYY-MM-DD`: KnowBe4 sends both that and a midnight datetime. */
  date: string;
  risk_score: number | null;
}

// ---- field readers: tolerant of KnowBe4's (and consoles') dirty values

const isRecord = (value: unknown): value is Raw => typeof value === 'object' && value !== null && !Array.isArray(value);

function text(value: unknown): string | null {
  if (typeof value === 'string') return value.trim() === '' ? null : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

function num(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return null;
}

function count(value: unknown): number | null {
  const n = num(value);
  return n !== null && Number.isInteger(n) && n >= 0 ? n : null;
}

function bool(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return null;
}

/** A KnowBe4 id as a string: a non-negative integer or a string of digits (never a float, never beyond 18 digits). */
export function graphId(value: unknown): string | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? String(value) : null;
  if (typeof value === 'string' && /^[0-9]{1,18}$/.test(value.trim())) return value.trim().replace(/^0+(?=\d)/, '');
  return null;
}

/** `…Z` and `….000Z` spellings of one instant compare equal; garbage becomes null rather than a wrong date. */
function dateTime(value: unknown): string | null {
  const raw = text(value);
  if (raw === null) return null;
  const millis = Date.parse(raw);
  return Number.isNaN(millis) ? null : new Date(millis).toISOString();
}

function ref(value: unknown, idField = 'id'): UnifiedRef | null {
  if (!isRecord(value)) return null;
  const id = graphId(value[idField]);
  return id === null ? null : { id, name: text(value.name) };
}

function refs(values: unknown, idField = 'id'): UnifiedRef[] {
  if (!Array.isArray(values)) return [];
  return values.flatMap((value: unknown) => {
    const r = ref(value, idField);
    return r ? [r] : [];
  });
}

function graphUser(value: unknown): UnifiedGraphUser | null {
  if (!isRecord(value)) return null;
  const id = graphId(value.id);
  if (id === null) return null;
  return { id, email: text(value.email), first_name: text(value.first_name), last_name: text(value.last_name) };
}

// ---- mappings

const ENROLLMENT_STATUS: Record<string, UnifiedEnrollmentStatus> = {
  'not started': 'not_started',
  'in progress': 'in_progress',
  passed: 'passed',
  completed: 'passed',
  'past due': 'past_due',
};

export function enrollmentStatusOf(remote: unknown): UnifiedEnrollmentStatus {
  const key = text(remote)?.trim().toLowerCase().replace(/[_-]+/g, ' ');
  return (key && ENROLLMENT_STATUS[key]) || 'other';
}

export function toUnifiedEnrollment(raw: unknown): NormalizeResult<UnifiedTrainingEnrollment> {
  if (!isRecord(raw)) return { ok: false, reason: 'not an object' };
  const id = graphId(raw.enrollment_id);
  if (id === null) return { ok: false, reason: 'no enrollment_id' };
  const user = graphUser(raw.user);
  const employeeNumber = isRecord(raw.user) ? text(raw.user.employee_number) : null;
  return {
    ok: true,
    record: {
      id,
      user_id: user?.id ?? null,
      user: user ? { ...user, employee_number: employeeNumber } : null,
      module_name: text(raw.module_name),
      content_type: text(raw.content_type),
      campaign_id: graphId(raw.campaign_id),
      campaign_name: text(raw.campaign_name),
      // live clients see store_purchase_id; the docs spell store_purchased_id
      store_purchase_id: graphId(raw.store_purchase_id ?? raw.store_purchased_id),
      status: enrollmentStatusOf(raw.status),
      remote_status: text(raw.status),
      enrolled_at: dateTime(raw.enrollment_date),
      started_at: dateTime(raw.start_date),
      completed_at: dateTime(raw.completion_date),
      time_spent_seconds: count(raw.time_spent),
      policy_acknowledged: bool(raw.policy_acknowledged),
    },
  };
}

export function toUnifiedPhishingCampaign(raw: unknown): NormalizeResult<UnifiedPhishingCampaign> {
  if (!isRecord(raw)) return { ok: false, reason: 'not an object' };
  const id = graphId(raw.campaign_id);
  if (id === null) return { ok: false, reason: 'no campaign_id' };
  const psts = Array.isArray(raw.psts) ? (raw.psts as unknown[]) : [];
  return {
    ok: true,
    record: {
      id,
      name: text(raw.name),
      status: text(raw.status),
      hidden: bool(raw.hidden),
      frequency: text(raw.frequency),
      groups: refs(raw.groups, 'group_id'),
      last_phish_prone_percentage: num(raw.last_phish_prone_percentage),
      last_run_at: dateTime(raw.last_run),
      created_at: dateTime(raw.create_date),
      send_duration: text(raw.send_duration),
      track_duration: text(raw.track_duration),
      difficulty_filter: Array.isArray(raw.difficulty_filter) ? (raw.difficulty_filter as unknown[]).flatMap((d) => (count(d) === null ? [] : [count(d)!])) : [],
      security_test_ids: psts.flatMap((p) => {
        const pstId = isRecord(p) ? graphId(p.pst_id) : null;
        return pstId === null ? [] : [pstId];
      }),
      security_test_count: count(raw.psts_count),
    },
  };
}

/** KnowBe4 documents a security test's phish-prone value as a fraction; a value above 1 can only be a percentage. */
function rateOf(value: unknown): number | null {
  const n = num(value);
  if (n === null || n < 0) return null;
  return n > 1 ? Math.round(n * 10) / 1000 : n;
}

export function toUnifiedSecurityTest(raw: unknown): NormalizeResult<UnifiedPhishingSecurityTest> {
  if (!isRecord(raw)) return { ok: false, reason: 'not an object' };
  const id = graphId(raw.pst_id);
  if (id === null) return { ok: false, reason: 'no pst_id' };
  return {
    ok: true,
    record: {
      id,
      campaign_id: graphId(raw.campaign_id),
      name: text(raw.name),
      status: text(raw.status),
      groups: refs(raw.groups, 'group_id'),
      phish_prone_rate: rateOf(raw.phish_prone_percentage),
      started_at: dateTime(raw.started_at),
      duration_days: count(raw.duration),
      categories: refs(raw.categories, 'category_id'),
      template: ref(raw.template),
      // recorded responses use landing_page, the docs landing-page
      landing_page: ref(raw.landing_page ?? raw['landing-page']),
      counts: {
        scheduled: count(raw.scheduled_count),
        delivered: count(raw.delivered_count),
        opened: count(raw.opened_count),
        clicked: count(raw.clicked_count),
        replied: count(raw.replied_count),
        attachment_opened: count(raw.attachment_open_count),
        macro_enabled: count(raw.macro_enabled_count),
        data_entered: count(raw.data_entered_count),
        vulnerable_plugin: count(raw.vulnerable_plugin_count),
        exploited: count(raw.exploited_count),
        qr_code_scanned: count(raw.qr_code_scanned_count),
        reported: count(raw.reported_count),
        bounced: count(raw.bounced_count),
      },
    },
  };
}

const FAILURES = ['clicked_at', 'replied_at', 'attachment_opened_at', 'macro_enabled_at', 'data_entered_at', 'qr_code_scanned_at'] as const;

export function recipientResultOf(r: Pick<UnifiedPhishingRecipient, (typeof FAILURES)[number] | 'reported_at' | 'bounced_at' | 'delivered_at'>): UnifiedRecipientResult {
  if (FAILURES.some((field) => r[field] !== null)) return 'failed';
  if (r.reported_at !== null) return 'reported';
  if (r.bounced_at !== null) return 'bounced';
  return r.delivered_at !== null ? 'no_action' : 'not_delivered';
}

export function toUnifiedRecipient(raw: unknown): NormalizeResult<UnifiedPhishingRecipient> {
  if (!isRecord(raw)) return { ok: false, reason: 'not an object' };
  const id = graphId(raw.recipient_id);
  if (id === null) return { ok: false, reason: 'no recipient_id' };
  const user = graphUser(raw.user);
  // recipients' active_directory_guid became provisioning_guid
  const guid = isRecord(raw.user) ? text(raw.user.provisioning_guid ?? raw.user.active_directory_guid) : null;
  const times = {
    scheduled_at: dateTime(raw.scheduled_at),
    delivered_at: dateTime(raw.delivered_at),
    opened_at: dateTime(raw.opened_at),
    clicked_at: dateTime(raw.clicked_at),
    replied_at: dateTime(raw.replied_at),
    attachment_opened_at: dateTime(raw.attachment_opened_at),
    macro_enabled_at: dateTime(raw.macro_enabled_at),
    data_entered_at: dateTime(raw.data_entered_at),
    // KnowBe4 names this one without `_at`; it is a datetime all the same
    qr_code_scanned_at: dateTime(raw.qr_code_scanned),
    reported_at: dateTime(raw.reported_at),
    bounced_at: dateTime(raw.bounced_at),
  };
  return {
    ok: true,
    record: {
      id,
      security_test_id: graphId(raw.pst_id),
      user_id: user?.id ?? null,
      user: user ? { ...user, provisioning_guid: guid } : null,
      template: ref(raw.template),
      result: recipientResultOf(times),
      ...times,
      ip: text(raw.ip),
      ip_location: text(raw.ip_location),
      browser: text(raw.browser),
      browser_version: text(raw.browser_version),
      os: text(raw.os),
    },
  };
}

/** A risk-score history answer as points, one per day (the last one KnowBe4 lists for a day wins), oldest first. */
export function toUnifiedRiskScoreHistory(raw: unknown): { points: UnifiedRiskScorePoint[]; skipped: number } {
  if (!Array.isArray(raw)) return { points: [], skipped: 0 };
  const byDay = new Map<string, UnifiedRiskScorePoint>();
  let skipped = 0;
  for (const entry of raw as unknown[]) {
    const day = isRecord(entry) ? text(entry.date) : null;
    const date = day === null ? null : normalizeRiskScoreDate(day);
    if (date === null || !/^\d{4}-\d{2}-\d{2}$/.test(date)) {
      skipped += 1;
      continue;
    }
    byDay.set(date, { date, risk_score: num((entry as Raw).risk_score) });
  }
  return { points: [...byDay.values()].sort((a, b) => a.date.localeCompare(b.date)), skipped };
}
