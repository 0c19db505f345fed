import type { Rng } from '../store/prng';
import type { GroupRecord, PhishingCampaignRecord, RecipientRecord, SecurityTestRecord, UserRecord } from '../store/records';
import { isoDate } from '../store/time';
import type { TenantStore } from '../store/tenant-store';
import { BROWSERS, LOCATIONS, PHISHING_CATEGORIES, PHISHING_TEMPLATES } from './pools';
import { pastTime, round1 } from './seed-draws';

const MAX_RECIPIENTS = 400;

/** The last id handed out of each kind; the next is drawn a random step above it. */
interface PhishingIds {
  campaign: number;
  pst: number;
  recipient: number;
}

/** Five phishing campaigns with one to three security tests each, sent to up to 400 users. */
export function seedPhishing(store: TenantStore, rng: Rng, users: UserRecord[], groups: GroupRecord[]): void {
  const ids: PhishingIds = {
    campaign: 300_000 + rng.int(0, 9000),
    pst: 4_000_000 + rng.int(0, 90_000),
    recipient: 800_000_000 + rng.int(0, 900_000),
  };
  for (let c = 0; c < 5; c++) {
    const campaign = phishingCampaign(rng, c, groups, ids);
    store.phishingCampaigns.push(campaign);
    const tests = rng.int(1, 3);
    for (let t = 0; t < tests; t++) {
      const test = securityTest(rng, campaign, t === tests - 1, users, ids);
      campaign.pstIds.push(test.pst_id);
      store.securityTests.push(test);
    }
  }
  store.securityTests.sort((a, b) => a.pst_id - b.pst_id);
}

function phishingCampaign(rng: Rng, c: number, groups: GroupRecord[], ids: PhishingIds): PhishingCampaignRecord {
  const campaignGroups = groups.length ? [rng.pick(groups).id] : [];
  const created = pastTime(rng, 200, 800);
  return {
    campaign_id: (ids.campaign += rng.int(1, 100)),
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
}

function securityTest(rng: Rng, campaign: PhishingCampaignRecord, last: boolean, users: UserRecord[], ids: PhishingIds): SecurityTestRecord {
  const started = pastTime(rng, 1, 190);
  const step = Math.max(1, Math.ceil(users.length / MAX_RECIPIENTS));
  const offset = rng.int(0, step - 1);
  const recipients: RecipientRecord[] = [];
  for (let i = offset; i < users.length; i += step) recipients.push(recipient(rng, users[i], started, ids));
  const clickedCount = recipients.filter((r) => r.clicked_at !== null).length;
  return {
    pst_id: (ids.pst += rng.int(1, 500)),
    campaign_id: campaign.campaign_id,
    name: `${campaign.name} - ${isoDate(started)}`,
    status: last && campaign.status === 'Active' ? 'Active' : 'Closed',
    groupIds: campaign.groupIds,
    phish_prone_percentage: recipients.length ? Math.round((clickedCount / recipients.length) * 1000) / 1000 : 0,
    started_at: started,
    duration: rng.int(1, 14),
    categories: [{ category_id: rng.int(1000, 9999), name: rng.pick(PHISHING_CATEGORIES) }],
    template: { id: rng.int(10_000, 99_999), name: rng.pick(PHISHING_TEMPLATES), difficulty: rng.int(1, 5), type: 'Phishing' },
    landing_page: { id: rng.int(100, 999), name: 'Oops! You clicked on a simulated phishing test' },
    recipients,
  };
}

function recipient(rng: Rng, user: UserRecord, started: number, ids: PhishingIds): RecipientRecord {
  const delivered = started + rng.int(60, 86_400) * 1000;
  const opened = rng.chance(0.6) ? delivered + rng.int(60, 86_400) * 1000 : null;
  const clicked = opened !== null && rng.chance(0.25) ? opened + rng.int(5, 600) * 1000 : null;
  const browser = clicked !== null ? rng.pick(BROWSERS) : null;
  const recipientId = (ids.recipient += rng.int(1, 50));
  // derived from the id, not drawn: extra draws would shift every tenant seeded before these fields existed
  const vulnerablePlugin = clicked !== null && recipientId % 5 === 0;
  return {
    recipient_id: recipientId,
    userId: user.id,
    scheduled_at: started,
    delivered_at: delivered,
    opened_at: opened,
    clicked_at: clicked,
    replied_at: null,
    attachment_opened_at: null,
    macro_enabled_at: null,
    data_entered_at: clicked !== null && rng.chance(0.3) ? clicked + 30_000 : null,
    qr_code_scanned_at: opened !== null && clicked === null && recipientId % 11 === 0 ? opened + 45_000 : null,
    reported_at: opened !== null && clicked === null && rng.chance(0.3) ? opened + 120_000 : null,
    bounced_at: null,
    vulnerable_plugin: vulnerablePlugin,
    exploited: vulnerablePlugin && recipientId % 2 === 0,
    ip: browser ? `203.0.113.${rng.int(1, 254)}` : null,
    ip_location: browser ? rng.pick(LOCATIONS) : null,
    browser: browser ? browser[0] : null,
    browser_version: browser ? browser[1] : null,
    os: browser ? browser[2] : null,
  };
}
