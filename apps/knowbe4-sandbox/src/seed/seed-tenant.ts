import { createRng, type Rng } from '../store/prng';
import type {
  EnrollmentRecord,
  EnrollmentStatus,
  GroupRecord,
  RecipientRecord,
  SecurityTestRecord,
  UserRecord,
} from '../store/records';
import { DAY_MS, SEED_NOW, isoDate, wholeSecond } from '../store/time';
import type { TenantStore } from '../store/tenant-store';
import {
  BROWSERS,
  COMPANIES,
  DEPARTMENTS,
  DIVISIONS,
  FIRST_NAMES,
  LANGUAGES,
  LAST_NAMES,
  LOCATIONS,
  MODULES,
  PHISHING_CATEGORIES,
  PHISHING_TEMPLATES,
  POLICIES,
} from './pools';

const DEPARTMENT_NAMES = Object.keys(DEPARTMENTS);
const TWO_POW_32 = 4_294_967_296;
const round1 = (n: number): number => Math.round(n * 10) / 10;
const pastTime = (rng: Rng, minDaysAgo: number, maxDaysAgo: number): number =>
  wholeSecond(SEED_NOW - rng.int(minDaysAgo * 86_400, maxDaysAgo * 86_400) * 1000);

/** Fills a fresh store from its seed: same seed and size give byte-identical Reporting JSON. */
export function seedTenant(store: TenantStore): void {
  const { seed, users: userCount } = store.options;
  const company = COMPANIES[seed % COMPANIES.length];
  const domain = `${company.toLowerCase()}-${seed}.example.com`;
  const groups = seedGroups(store, createRng(seed, 'groups'), userCount);
  const users = seedUsers(store, createRng(seed, 'users'), userCount, domain, company, groups);
  seedAccount(store, createRng(seed, 'account'), company, domain, users);
  seedTraining(store, createRng(seed, 'training'), users, groups);
  seedPhishing(store, createRng(seed, 'phishing'), users, groups);
}

function seedGroups(store: TenantStore, rng: Rng, userCount: number): GroupRecord[] {
  const wanted = store.options.groups ?? Math.max(DEPARTMENT_NAMES.length + 3, Math.min(60, Math.ceil(userCount / 25)));
  const names: { name: string; type: 'console_group' | 'smart_group' }[] = [
    ...DEPARTMENT_NAMES.map((d) => ({ name: d, type: 'console_group' as const })),
    ...LOCATIONS.map((l) => ({ name: `Office: ${l}`, type: 'smart_group' as const })),
    { name: 'New Hires (last 90 days)', type: 'smart_group' },
    { name: 'High Risk Users', type: 'smart_group' },
    { name: 'All Managers', type: 'console_group' },
  ];
  for (let i = names.length; i < wanted; i++) names.push({ name: `Project Team ${i - names.length + 1}`, type: 'console_group' });
  let id = 1_000_000 + rng.int(0, 90_000);
  const groups: GroupRecord[] = [];
  for (const { name, type } of names.slice(0, wanted)) {
    id += rng.int(1, 400);
    const created = pastTime(rng, 400, 2000);
    const group: GroupRecord = {
      id,
      scimId: rng.uuid(),
      externalId: null,
      name,
      group_type: type,
      provisioning_guid: type === 'console_group' && rng.chance(0.3) ? rng.uuid() : null,
      current_risk_score: round1(rng.next() * 60),
      status: rng.chance(0.05) ? 'archived' : 'active',
      memberIds: new Set(),
      createdAt: created,
      updatedAt: created,
      sortedMembers: undefined,
    };
    store.insertGroup(group);
    groups.push(group);
  }
  return groups;
}

function seedUsers(
  store: TenantStore,
  rng: Rng,
  count: number,
  domain: string,
  company: string,
  groups: GroupRecord[],
): UserRecord[] {
  // Half the ids sit above 2^32, as large accounts' user ids do.
  let id = TWO_POW_32 - Math.ceil(count / 2) * 500;
  const usedEmails = new Set<string>();
  const users: UserRecord[] = [];
  const byName = new Map(groups.map((g) => [g.name, g]));
  const projectGroups = groups.filter((g) => g.name.startsWith('Project Team'));
  const managers = byName.get('All Managers');
  const highRisk = byName.get('High Risk Users');
  const newHires = byName.get('New Hires (last 90 days)');
  for (let i = 0; i < count; i++) {
    id += rng.int(1, 999);
    const first = rng.pick(FIRST_NAMES);
    const last = rng.pick(LAST_NAMES);
    const local = `${first}.${last}`.toLowerCase().replace(/[^a-z.]/g, '');
    let email = `${local}@${domain}`;
    for (let n = 2; usedEmails.has(email); n++) email = `${local}${n}@${domain}`;
    usedEmails.add(email);
    const department = rng.pick(DEPARTMENT_NAMES);
    const location = rng.pick(LOCATIONS);
    const joined = pastTime(rng, 1, 2400);
    const archived = rng.chance(0.05);
    const manager = i > 0 ? users[Math.floor((i - 1) / 7)] : undefined;
    const provisioned = rng.chance(0.4);
    const user: UserRecord = {
      id,
      scimId: rng.uuid(),
      externalId: null,
      employee_number: rng.chance(0.95) ? String(rng.int(1, 99_999)).padStart(6, '0') : null,
      first_name: first,
      last_name: last,
      job_title: rng.pick(DEPARTMENTS[department]),
      email,
      phish_prone_percentage: rng.chance(0.3) ? 0 : round1(rng.next() * 60),
      phone_number: rng.chance(0.7) ? `+1 555-${String(rng.int(100, 999))}-${String(rng.int(1000, 9999))}` : null,
      extension: rng.chance(0.2) ? String(rng.int(100, 9999)) : null,
      mobile_phone_number: rng.chance(0.5) ? `+1 555-${String(rng.int(100, 999))}-${String(rng.int(1000, 9999))}` : null,
      location,
      division: rng.pick(DIVISIONS),
      manager_name: manager ? `${manager.first_name} ${manager.last_name}` : null,
      manager_email: manager ? manager.email : null,
      provisioning_managed: provisioned,
      provisioning_guid: provisioned ? rng.uuid() : null,
      current_risk_score: round1(rng.next() * 90),
      aliases: rng.chance(0.05) ? [email.replace('@', '.alias@')] : [],
      joined_on: joined,
      last_sign_in: rng.chance(0.6) ? Math.max(joined, pastTime(rng, 0, 300)) : null,
      status: archived ? 'archived' : 'active',
      archived_at: archived ? pastTime(rng, 0, 200) : null,
      organization: company,
      department,
      language: rng.pick(LANGUAGES),
      comment: rng.chance(0.05) ? 'Imported from HR export' : null,
      employee_start_date: rng.chance(0.8) ? wholeSecond(Date.UTC(2015 + rng.int(0, 9), rng.int(0, 11), rng.int(1, 28))) : null,
      custom_field_1: rng.chance(0.3) ? `CC-${rng.int(100, 999)}` : null,
      custom_field_2: null,
      custom_field_3: null,
      custom_field_4: null,
      custom_date_1: rng.chance(0.2) ? isoDate(pastTime(rng, 0, 900)) : null,
      custom_date_2: null,
      adi_manageable: false,
      groupIds: new Set(),
      updatedAt: joined,
      dirty: false,
      json: undefined,
    };
    store.insertUser(user);
    users.push(user);
    const join = (g: GroupRecord | undefined): void => {
      if (!g) return;
      g.memberIds.add(user.id);
      user.groupIds.add(g.id);
    };
    join(byName.get(department));
    join(byName.get(`Office: ${location}`));
    if (projectGroups.length && rng.chance(0.3)) join(rng.pick(projectGroups));
    if (i > 0 && i <= Math.ceil(count / 7)) join(managers);
    if (user.current_risk_score > 75) join(highRisk);
    if (joined > SEED_NOW - 90 * DAY_MS) join(newHires);
  }
  if (store.options.dirty) for (const user of users) user.dirty = rng.chance(0.02);
  return users;
}

function seedAccount(store: TenantStore, rng: Rng, company: string, domain: string, users: UserRecord[]): void {
  const admins = users.slice(0, Math.min(2, users.length)).map((u) => ({
    id: rng.int(100_000, 999_999),
    first_name: u.first_name ?? '',
    last_name: u.last_name ?? '',
    email: u.email,
  }));
  store.account = {
    name: `${company} Corporation`,
    type: store.options.trial ? 'trial' : 'paid',
    domains: [domain],
    admins,
    subscription_level: rng.pick(['Platinum', 'Diamond']),
    subscription_end_date: isoDate(SEED_NOW + rng.int(30, 700) * DAY_MS),
    number_of_seats: Math.ceil((users.length * 1.1) / 50) * 50 || 50,
    current_risk_score: round1(rng.next() * 50),
  };
}

function seedTraining(store: TenantStore, rng: Rng, users: UserRecord[], groups: GroupRecord[]): void {
  let purchaseId = 500_000 + rng.int(0, 9000);
  store.storePurchases = MODULES.map((name, i) => ({
    store_purchase_id: (purchaseId += rng.int(1, 300)),
    content_type: 'Store Purchase' as const,
    name,
    description: `${name}: interactive module.`,
    type: rng.pick(['Training Module', 'Video Module', 'Game']),
    duration: rng.int(5, 45),
    retired: i === MODULES.length - 1,
    retirement_date: i === MODULES.length - 1 ? pastTime(rng, 10, 100) : null,
    publish_date: pastTime(rng, 300, 1500),
    publisher: 'KnowBe4',
    purchase_date: pastTime(rng, 200, 900),
    policy_url: null,
  }));
  let policyId = 70_000 + rng.int(0, 900);
  store.policies = POLICIES.map((name) => ({
    policy_id: (policyId += rng.int(1, 40)),
    content_type: 'Uploaded Policy' as const,
    name,
    minimum_time: rng.int(1, 10),
    default_language: 'en-us',
    status: 1,
  }));
  // Twelve campaigns, so the "at most 10 unless exclude_percentages" cut is visible.
  let campaignId = 20_000 + rng.int(0, 900);
  const active = groups.filter((g) => g.status === 'active');
  for (let c = 0; c < 12; c++) {
    const start = pastTime(rng, 10, 700);
    const relative = rng.chance(0.3);
    store.trainingCampaigns.push({
      campaign_id: (campaignId += rng.int(1, 50)),
      name: `Training ${2023 + (c % 3)} wave ${c + 1}`,
      groupIds: active.length ? [rng.pick(active).id] : [],
      status: rng.pick(['Completed', 'In Progress', 'Closed', 'Created'] as const),
      storePurchaseIds: [rng.pick(store.storePurchases).store_purchase_id],
      policyIds: rng.chance(0.3) ? [rng.pick(store.policies).policy_id] : [],
      duration_type: relative ? 'Relative Duration' : 'Specific End Date',
      start_date: start,
      end_date: relative ? null : start + rng.int(14, 90) * DAY_MS,
      relative_duration: relative ? `${rng.int(1, 4)} weeks` : null,
      auto_enroll: rng.chance(0.5),
      allow_multiple_enrollments: rng.chance(0.2),
      completion_percentage: round1(rng.next() * 100),
    });
  }
  const statuses: EnrollmentStatus[] = ['Passed', 'Passed', 'In Progress', 'Not Started', 'Past Due'];
  const purchaseNames = new Map(store.storePurchases.map((p) => [p.store_purchase_id, p.name]));
  let enrollmentId = 9_000_000 + rng.int(0, 90_000);
  const enroll = (userId: number, campaignIndex: number, storePurchaseId: number, moduleName: string): void => {
    const status = rng.pick(statuses);
    const enrolled = pastTime(rng, 5, 600);
    const started = status === 'Not Started' ? null : enrolled + rng.int(0, 10) * DAY_MS;
    const record: EnrollmentRecord = {
      enrollment_id: (enrollmentId += rng.int(1, 20)),
      storePurchaseId,
      moduleName,
      userId,
      campaignId: store.trainingCampaigns[campaignIndex].campaign_id,
      enrollment_date: enrolled,
      start_date: started,
      completion_date: status === 'Passed' && started !== null ? started + rng.int(600, 5 * 86_400) * 1000 : null,
      status,
      time_spent: status === 'Not Started' ? 0 : rng.int(60, 3600),
      policy_acknowledged: rng.chance(0.3),
    };
    store.enrollments.push(record);
  };
  for (const user of users) {
    const n = rng.int(0, 3);
    for (let k = 0; k < n; k++) {
      const campaignIndex = rng.int(0, store.trainingCampaigns.length - 1);
      const purchaseId = store.trainingCampaigns[campaignIndex].storePurchaseIds[0];
      enroll(user.id, campaignIndex, purchaseId, purchaseNames.get(purchaseId) ?? '');
    }
  }
  if (store.options.dirty && users.length) {
    // What clients met in practice: orphaned users, orphaned modules, the same module twice.
    for (let k = 0; k < Math.max(3, Math.ceil(users.length / 100)); k++) {
      enroll(users[users.length - 1].id + rng.int(1, 10_000), 0, store.storePurchases[0].store_purchase_id, MODULES[0]);
      enroll(rng.pick(users).id, 1, 1, 'Retired Module (deleted)');
      const twice = rng.pick(users);
      enroll(twice.id, 2, store.storePurchases[1].store_purchase_id, MODULES[1]);
      enroll(twice.id, 2, store.storePurchases[1].store_purchase_id, MODULES[1]);
    }
    store.enrollments.sort((a, b) => a.enrollment_id - b.enrollment_id);
  }
}

function seedPhishing(store: TenantStore, rng: Rng, users: UserRecord[], groups: GroupRecord[]): void {
  let campaignId = 300_000 + rng.int(0, 9000);
  let pstId = 4_000_000 + rng.int(0, 90_000);
  let recipientId = 800_000_000 + rng.int(0, 900_000);
  const maxRecipients = 400;
  for (let c = 0; c < 5; c++) {
    const campaignGroups = groups.length ? [rng.pick(groups).id] : [];
    const created = pastTime(rng, 200, 800);
    const campaign = {
      campaign_id: (campaignId += rng.int(1, 100)),
      name: `Baseline phishing ${c + 1}`,
      groupIds: campaignGroups,
      last_phish_prone_percentage: round1(rng.next() * 30),
      last_run: pastTime(rng, 1, 150),
      status: rng.pick(['Active', 'Closed'] as const),
      hidden: false,
      send_duration: `${rng.int(1, 5)} Business Days`,
      track_duration: `${rng.int(3, 14)} Days`,
      frequency: rng.pick(['One Time', 'Weekly', 'Monthly', 'Quarterly'] as const),
      difficulty_filter: [1, 2, 3, 4, 5].filter(() => rng.chance(0.6)),
      create_date: created,
      pstIds: [] as number[],
    };
    store.phishingCampaigns.push(campaign);
    const tests = rng.int(1, 3);
    for (let t = 0; t < tests; t++) {
      const started = pastTime(rng, 1, 190);
      const step = Math.max(1, Math.ceil(users.length / maxRecipients));
      const offset = rng.int(0, step - 1);
      const recipients: RecipientRecord[] = [];
      for (let i = offset; i < users.length; i += step) {
        const u = users[i];
        const delivered = started + rng.int(60, 86_400) * 1000;
        const opened = rng.chance(0.6) ? delivered + rng.int(60, 86_400) * 1000 : null;
        const clicked = opened !== null && rng.chance(0.25) ? opened + rng.int(5, 600) * 1000 : null;
        const browser = clicked !== null ? rng.pick(BROWSERS) : null;
        recipients.push({
          recipient_id: (recipientId += rng.int(1, 50)),
          userId: u.id,
          scheduled_at: started,
          delivered_at: delivered,
          opened_at: opened,
          clicked_at: clicked,
          replied_at: null,
          attachment_opened_at: null,
          macro_enabled_at: null,
          data_entered_at: clicked !== null && rng.chance(0.3) ? clicked + 30_000 : null,
          reported_at: opened !== null && clicked === null && rng.chance(0.3) ? opened + 120_000 : null,
          bounced_at: null,
          ip: browser ? `203.0.113.${rng.int(1, 254)}` : null,
          ip_location: browser ? rng.pick(LOCATIONS) : null,
          browser: browser ? browser[0] : null,
          browser_version: browser ? browser[1] : null,
          os: browser ? browser[2] : null,
        });
      }
      const clickedCount = recipients.filter((r) => r.clicked_at !== null).length;
      const test: SecurityTestRecord = {
        pst_id: (pstId += rng.int(1, 500)),
        campaign_id: campaign.campaign_id,
        name: `${campaign.name} - ${isoDate(started)}`,
        status: t === tests - 1 && campaign.status === 'Active' ? 'Active' : 'Closed',
        groupIds: campaignGroups,
        phish_prone_percentage: recipients.length ? Math.round((clickedCount / recipients.length) * 1000) / 1000 : 0,
        started_at: started,
        duration: rng.int(1, 14),
        categories: [{ category_id: rng.int(1000, 9999), name: rng.pick(PHISHING_CATEGORIES) }],
        template: { id: rng.int(10_000, 99_999), name: rng.pick(PHISHING_TEMPLATES), difficulty: rng.int(1, 5), type: 'Phishing' },
        landing_page: { id: rng.int(100, 999), name: 'Oops! You clicked on a simulated phishing test' },
        recipients,
      };
      campaign.pstIds.push(test.pst_id);
      store.securityTests.push(test);
    }
  }
  store.securityTests.sort((a, b) => a.pst_id - b.pst_id);
}
