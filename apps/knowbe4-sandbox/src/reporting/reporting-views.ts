import type {
  EnrollmentRecord,
  GroupRecord,
  PhishingCampaignRecord,
  PolicyRecord,
  RecipientRecord,
  RiskPoint,
  SecurityTestRecord,
  StorePurchaseRecord,
  TrainingCampaignRecord,
  UserRecord,
} from '../store/records';
import type { TenantStore } from '../store/tenant-store';
import { DAY_MS, SEED_NOW, isoDate, isoTime, isoTimeOrNull } from '../store/time';
import { createRng } from '../store/prng';
import { float, toKb4Json } from './kb4-json';

/** Pure renderers from store records to KnowBe4's Reporting API JSON. */

export function userJson(user: UserRecord, store: TenantStore, expandGroups = false): string {
  if (!expandGroups && user.json !== undefined) return user.json;
  const groupIds = [...user.groupIds].sort((a, b) => a - b);
  const groups: unknown[] = expandGroups
    ? groupIds.map((id) => {
        const g = store.groupsById.get(id);
        return g ? { id: g.id, name: g.name, group_type: g.group_type } : { id, name: null };
      })
    : groupIds;
  if (user.dirty) groups.push(null);
  const body = toKb4Json({
    id: user.id,
    employee_number: user.employee_number,
    first_name: user.first_name,
    last_name: user.last_name,
    job_title: user.job_title,
    email: user.email,
    phish_prone_percentage: float(user.phish_prone_percentage),
    phone_number: user.phone_number,
    extension: user.extension,
    mobile_phone_number: user.mobile_phone_number,
    location: user.location,
    division: user.division,
    manager_name: user.manager_name,
    manager_email: user.manager_email,
    provisioning_managed: user.provisioning_managed,
    provisioning_guid: user.provisioning_guid,
    groups,
    current_risk_score: float(user.current_risk_score),
    aliases: user.dirty ? [...user.aliases, null] : user.aliases,
    joined_on: isoTime(user.joined_on),
    last_sign_in: isoTimeOrNull(user.last_sign_in),
    status: user.status,
    organization: user.organization,
    department: user.department,
    language: user.language,
    comment: user.comment,
    employee_start_date: isoTimeOrNull(user.employee_start_date),
    archived_at: isoTimeOrNull(user.archived_at),
    custom_field_1: user.custom_field_1,
    custom_field_2: user.custom_field_2,
    custom_field_3: user.custom_field_3,
    custom_field_4: user.custom_field_4,
    custom_date_1: user.custom_date_1,
    custom_date_2: user.custom_date_2,
    adi_manageable: user.adi_manageable,
  });
  if (!expandGroups) user.json = body;
  return body;
}

/** Dirty tenants also put `null` entries straight into the users array. */
export function userListJson(users: readonly UserRecord[], store: TenantStore, expandGroups: boolean): string {
  const parts: string[] = [];
  for (const user of users) {
    parts.push(userJson(user, store, expandGroups));
    if (user.dirty) parts.push('null');
  }
  return `[${parts.join(',')}]`;
}

export const groupView = (g: GroupRecord) => ({
  id: g.id,
  name: g.name,
  group_type: g.group_type,
  provisioning_guid: g.provisioning_guid,
  member_count: g.memberIds.size,
  current_risk_score: float(g.current_risk_score),
  status: g.status,
});

const groupBase = (store: TenantStore, ids: number[]) =>
  ids.map((id) => ({ group_id: id, name: store.groupsById.get(id)?.name ?? null }));

export const accountView = (store: TenantStore) => {
  const a = store.account;
  const common = {
    name: a.name,
    type: a.type,
    domains: a.domains,
    admins: a.admins,
  };
  // Trial accounts omit the subscription fields entirely rather than sending nulls.
  return store.options.trial
    ? { ...common, current_risk_score: float(a.current_risk_score) }
    : {
        ...common,
        subscription_level: a.subscription_level,
        subscription_end_date: a.subscription_end_date,
        number_of_seats: a.number_of_seats,
        current_risk_score: float(a.current_risk_score),
      };
};

/**
 * Monthly risk history ending at the current score; the date format differs per endpoint as in recorded
 * traffic: account and group history use `YYYY-MM-DD`, user history a midnight `.000Z` timestamp. Six months by default,
 * as KnowBe4 answers; `full=true` asks for the whole history (two years here), whose first six points are the same.
 */
export function riskHistory(seedKey: string, seed: number, current: number, dateStyle: 'date' | 'midnight', full = false): RiskPoint[] {
  const rng = createRng(seed, `risk:${seedKey}`);
  const points: RiskPoint[] = [];
  let score = current;
  for (let m = 0; m < (full ? 24 : 6); m++) {
    const date = isoDate(SEED_NOW - m * 30 * DAY_MS);
    points.push({ risk_score: score, date: dateStyle === 'date' ? date : `${date}T00:00:00.000Z` });
    score = Math.max(0, Math.round((score + (rng.next() - 0.5) * 8) * 10) / 10);
  }
  return points;
}

export const riskHistoryView = (points: RiskPoint[]) => points.map((p) => ({ risk_score: float(p.risk_score), date: p.date }));

export const storePurchaseView = (p: StorePurchaseRecord) => ({
  store_purchase_id: p.store_purchase_id,
  content_type: p.content_type,
  name: p.name,
  description: p.description,
  type: p.type,
  duration: p.duration,
  retired: p.retired,
  retirement_date: isoTimeOrNull(p.retirement_date),
  publish_date: isoTime(p.publish_date),
  publisher: p.publisher,
  purchase_date: isoTime(p.purchase_date),
  policy_url: p.policy_url,
});

export const policyView = (p: PolicyRecord) => ({ ...p });

export function trainingCampaignView(c: TrainingCampaignRecord, store: TenantStore, withPercentages: boolean) {
  const purchases = c.storePurchaseIds.flatMap((id) => {
    const p = store.storePurchases.find((x) => x.store_purchase_id === id);
    return p ? [storePurchaseView(p)] : [];
  });
  const policies = c.policyIds.flatMap((id) => {
    const p = store.policies.find((x) => x.policy_id === id);
    return p ? [policyView(p)] : [];
  });
  const view = {
    campaign_id: c.campaign_id,
    name: c.name,
    groups: groupBase(store, c.groupIds),
    status: c.status,
    content: [...purchases, ...policies],
    duration_type: c.duration_type,
    start_date: isoTime(c.start_date),
    end_date: isoTimeOrNull(c.end_date),
    relative_duration: c.relative_duration,
    auto_enroll: c.auto_enroll,
    allow_multiple_enrollments: c.allow_multiple_enrollments,
  };
  return withPercentages ? { ...view, completion_percentage: float(c.completion_percentage) } : view;
}

export interface EnrollmentViewOptions {
  includeCampaignId: boolean;
  /** `include_store_purchase_id=true` (documented beside `include_campaign_id`). */
  includeStorePurchaseId?: boolean;
  includeEmployeeNumber: boolean;
}

export function enrollmentView(e: EnrollmentRecord, store: TenantStore, opts: EnrollmentViewOptions) {
  const u = store.usersById.get(e.userId);
  const user: Record<string, unknown> = {
    id: e.userId,
    first_name: u?.first_name ?? null,
    last_name: u?.last_name ?? null,
    email: u?.email ?? null,
  };
  // Inside enrollments the employee number is an integer, leading zeros lost.
  if (opts.includeEmployeeNumber) user.employee_number = u?.employee_number ? Number.parseInt(u.employee_number, 10) : null;
  const campaign = store.trainingCampaigns.find((c) => c.campaign_id === e.campaignId);
  return {
    enrollment_id: e.enrollment_id,
    content_type: 'Store Purchase',
    module_name: e.moduleName,
    user,
    campaign_name: campaign?.name ?? null,
    ...(opts.includeCampaignId ? { campaign_id: e.campaignId } : {}),
    ...(opts.includeStorePurchaseId ? { store_purchase_id: e.storePurchaseId } : {}),
    enrollment_date: isoTime(e.enrollment_date),
    start_date: isoTimeOrNull(e.start_date),
    completion_date: isoTimeOrNull(e.completion_date),
    status: e.status,
    time_spent: e.time_spent,
    policy_acknowledged: e.policy_acknowledged,
  };
}

export function phishingCampaignView(c: PhishingCampaignRecord, store: TenantStore) {
  return {
    campaign_id: c.campaign_id,
    name: c.name,
    groups: groupBase(store, c.groupIds),
    last_phish_prone_percentage: float(c.last_phish_prone_percentage),
    last_run: isoTime(c.last_run),
    status: c.status,
    hidden: c.hidden,
    send_duration: c.send_duration,
    track_duration: c.track_duration,
    frequency: c.frequency,
    difficulty_filter: c.difficulty_filter,
    create_date: isoTime(c.create_date),
    psts_count: c.pstIds.length,
    psts: c.pstIds.flatMap((id) => {
      const t = store.securityTests.find((x) => x.pst_id === id);
      return t
        ? [{ pst_id: t.pst_id, status: t.status, start_date: isoTime(t.started_at), users_count: t.recipients.length, phish_prone_percentage: float(t.phish_prone_percentage) }]
        : [];
    }),
  };
}

export function securityTestView(t: SecurityTestRecord, store: TenantStore) {
  const count = (pick: (r: RecipientRecord) => number | null) => t.recipients.filter((r) => pick(r) !== null).length;
  return {
    campaign_id: t.campaign_id,
    pst_id: t.pst_id,
    status: t.status,
    name: t.name,
    groups: groupBase(store, t.groupIds),
    phish_prone_percentage: float(t.phish_prone_percentage),
    started_at: isoTime(t.started_at),
    duration: t.duration,
    categories: t.categories,
    template: t.template,
    landing_page: t.landing_page,
    scheduled_count: t.recipients.length,
    delivered_count: count((r) => r.delivered_at),
    opened_count: count((r) => r.opened_at),
    clicked_count: count((r) => r.clicked_at),
    replied_count: count((r) => r.replied_at),
    attachment_open_count: count((r) => r.attachment_opened_at),
    macro_enabled_count: count((r) => r.macro_enabled_at),
    data_entered_count: count((r) => r.data_entered_at),
    vulnerable_plugin_count: t.recipients.filter((r) => r.vulnerable_plugin).length,
    exploited_count: t.recipients.filter((r) => r.exploited).length,
    qr_code_scanned_count: count((r) => r.qr_code_scanned_at),
    reported_count: count((r) => r.reported_at),
    bounced_count: count((r) => r.bounced_at),
  };
}

export function recipientView(r: RecipientRecord, t: SecurityTestRecord, store: TenantStore) {
  const u = store.usersById.get(r.userId);
  return {
    recipient_id: r.recipient_id,
    pst_id: t.pst_id,
    user: {
      id: r.userId,
      provisioning_guid: u?.provisioning_guid ?? null,
      first_name: u?.first_name ?? null,
      last_name: u?.last_name ?? null,
      email: u?.email ?? null,
    },
    template: t.template,
    scheduled_at: isoTime(r.scheduled_at),
    delivered_at: isoTimeOrNull(r.delivered_at),
    opened_at: isoTimeOrNull(r.opened_at),
    clicked_at: isoTimeOrNull(r.clicked_at),
    replied_at: isoTimeOrNull(r.replied_at),
    attachment_opened_at: isoTimeOrNull(r.attachment_opened_at),
    macro_enabled_at: isoTimeOrNull(r.macro_enabled_at),
    data_entered_at: isoTimeOrNull(r.data_entered_at),
    qr_code_scanned: isoTimeOrNull(r.qr_code_scanned_at),
    reported_at: isoTimeOrNull(r.reported_at),
    bounced_at: isoTimeOrNull(r.bounced_at),
    ip: r.ip,
    ip_location: r.ip_location,
    browser: r.browser,
    browser_version: r.browser_version,
    os: r.os,
  };
}
