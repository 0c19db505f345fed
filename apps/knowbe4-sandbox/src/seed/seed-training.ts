import type { Rng } from '../store/prng';
import type { EnrollmentRecord, EnrollmentStatus, GroupRecord, UserRecord } from '../store/records';
import { DAY_MS } from '../store/time';
import type { TenantStore } from '../store/tenant-store';
import { MODULES, POLICIES } from './pools';
import { pastTime, round1 } from './seed-draws';

/** Store purchases, policies, twelve training campaigns and the users' enrollments. */
export function seedTraining(store: TenantStore, rng: Rng, users: UserRecord[], groups: GroupRecord[]): void {
  seedTrainingContent(store, rng);
  seedTrainingCampaigns(store, rng, groups);
  seedEnrollments(store, rng, users);
}

function seedTrainingContent(store: TenantStore, rng: Rng): void {
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
}

function seedTrainingCampaigns(store: TenantStore, rng: Rng, groups: GroupRecord[]): void {
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
}

function seedEnrollments(store: TenantStore, rng: Rng, users: UserRecord[]): void {
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
