import { createRng, type Rng } from '../store/prng';
import type { GroupRecord, UserRecord } from '../store/records';
import { DAY_MS, SEED_NOW, isoDate, wholeSecond } from '../store/time';
import type { TenantStore } from '../store/tenant-store';
import { COMPANIES, DEPARTMENTS, DIVISIONS, FIRST_NAMES, LANGUAGES, LAST_NAMES, LOCATIONS } from './pools';
import { pastTime, round1 } from './seed-draws';
import { seedPhishing } from './seed-phishing';
import { seedTraining } from './seed-training';

const DEPARTMENT_NAMES = Object.keys(DEPARTMENTS);
const TWO_POW_32 = 4_294_967_296;

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

// One user's picks, in the order the seed has always drawn them (the seeded JSON depends on it).
interface UserDraft {
  id: number;
  first: string;
  last: string;
  email: string;
  department: string;
  location: string;
  joined: number;
  archived: boolean;
  provisioned: boolean;
  manager: UserRecord | undefined;
  company: string;
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
  const joinGroups = seededGroupJoiner(rng, groups, count);
  for (let i = 0; i < count; i++) {
    id += rng.int(1, 999);
    const manager = i > 0 ? users[Math.floor((i - 1) / 7)] : undefined;
    const draft = drawUser(rng, { id, domain, company, usedEmails, manager });
    const user = userRecord(rng, draft);
    store.insertUser(user);
    users.push(user);
    joinGroups(user, i, draft);
  }
  if (store.options.dirty) for (const user of users) user.dirty = rng.chance(0.02);
  return users;
}

function drawUser(
  rng: Rng,
  given: { id: number; domain: string; company: string; usedEmails: Set<string>; manager: UserRecord | undefined },
): UserDraft {
  const first = rng.pick(FIRST_NAMES);
  const last = rng.pick(LAST_NAMES);
  const local = `${first}.${last}`.toLowerCase().replace(/[^a-z.]/g, '');
  let email = `${local}@${given.domain}`;
  for (let n = 2; given.usedEmails.has(email); n++) email = `${local}${n}@${given.domain}`;
  given.usedEmails.add(email);
  const department = rng.pick(DEPARTMENT_NAMES);
  const location = rng.pick(LOCATIONS);
  const joined = pastTime(rng, 1, 2400);
  const archived = rng.chance(0.05);
  const provisioned = rng.chance(0.4);
  return { id: given.id, first, last, email, department, location, joined, archived, provisioned, manager: given.manager, company: given.company };
}

function userRecord(rng: Rng, draft: UserDraft): UserRecord {
  const { id, first, last, email, department, location, joined, archived, provisioned, manager, company } = draft;
  return {
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
}

/** Puts a seeded user in its department's and office's groups, and by chance, rank, risk and join date in others. */
function seededGroupJoiner(rng: Rng, groups: GroupRecord[], count: number): (user: UserRecord, index: number, draft: UserDraft) => void {
  const byName = new Map(groups.map((g) => [g.name, g]));
  const projectGroups = groups.filter((g) => g.name.startsWith('Project Team'));
  const managers = byName.get('All Managers');
  const highRisk = byName.get('High Risk Users');
  const newHires = byName.get('New Hires (last 90 days)');
  return (user, i, { department, location, joined }) => {
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
  };
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
