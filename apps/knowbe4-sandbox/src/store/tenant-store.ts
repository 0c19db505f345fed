import type {
  AccountRecord,
  EnrollmentRecord,
  GroupRecord,
  GroupType,
  PhishingCampaignRecord,
  PolicyRecord,
  Region,
  SecurityTestRecord,
  StorePurchaseRecord,
  TrainingCampaignRecord,
  UserFields,
  UserRecord,
} from './records';
import { createRng, type Rng } from './prng';
import { nowWholeSecond } from './time';

export type RateLimitProfile = 'documented' | 'seed' | 'off';

export interface TenantOptions {
  seed: number;
  users: number;
  groups?: number;
  region: Region;
  rateLimitProfile: RateLimitProfile;
  reportingApiKey: string;
  scimToken: string;
  trial: boolean;
  dirty: boolean;
  /** Share of `/groups/:id/risk_score_history` calls answered with 500, as KnowBe4 sometimes does. */
  groupRiskHistoryErrorRate: number;
}

export class UniquenessError extends Error {}

/** Everything one KnowBe4 account holds; both the Reporting API and SCIM read and write this one store. */
export class TenantStore {
  /** Users in ascending id order, so a page is one slice and paging never skips or repeats. */
  users: UserRecord[] = [];
  readonly usersById = new Map<number, UserRecord>();
  readonly usersByEmail = new Map<string, UserRecord>();
  readonly usersByScimId = new Map<string, UserRecord>();
  groups: GroupRecord[] = [];
  readonly groupsById = new Map<number, GroupRecord>();
  readonly groupsByScimId = new Map<string, GroupRecord>();
  account!: AccountRecord;
  storePurchases: StorePurchaseRecord[] = [];
  policies: PolicyRecord[] = [];
  trainingCampaigns: TrainingCampaignRecord[] = [];
  enrollments: EnrollmentRecord[] = [];
  phishingCampaigns: PhishingCampaignRecord[] = [];
  securityTests: SecurityTestRecord[] = [];
  /** Bumped on every user/group change; filtered-list caches compare against it. */
  version = 0;
  /** Draws ids and GUIDs for records created after seeding. */
  readonly runtimeRng: Rng;
  private filteredUsers = new Map<string, { version: number; users: UserRecord[] }>();

  constructor(
    readonly id: string,
    readonly options: TenantOptions,
  ) {
    this.runtimeRng = createRng(options.seed, 'runtime');
  }

  // ---------- reads ----------

  /** Users KnowBe4 counts for the daily request budget (2,000 + users). */
  userCount(): number {
    return this.users.length;
  }

  /** Users matching a status/group filter, in id order; cached until the next change. */
  usersMatching(status: string | undefined, groupId: number | undefined): UserRecord[] {
    if (status === undefined && groupId === undefined) return this.users;
    const key = `${status ?? ''}|${groupId ?? ''}`;
    const hit = this.filteredUsers.get(key);
    if (hit && hit.version === this.version) return hit.users;
    const users = this.users.filter(
      (u) => (status === undefined || u.status === status) && (groupId === undefined || u.groupIds.has(groupId)),
    );
    this.filteredUsers.set(key, { version: this.version, users });
    return users;
  }

  groupMembers(group: GroupRecord): number[] {
    group.sortedMembers ??= [...group.memberIds].sort((a, b) => a - b);
    return group.sortedMembers;
  }

  findUserByEmail(email: string): UserRecord | undefined {
    return this.usersByEmail.get(email.toLowerCase());
  }

  // ---------- user writes ----------

  nextUserId(): number {
    const last = this.users.length ? this.users[this.users.length - 1].id : 4_294_000_000;
    return last + this.runtimeRng.int(1, 997);
  }

  /** Adds a user; SCIM-provisioned users carry a provisioning GUID. */
  createUser(
    fields: Partial<UserFields> & { email: string },
    provisioning: { managed: boolean; guid?: string | null; externalId?: string | null; scimId?: string; status?: 'active' | 'archived' },
  ): UserRecord {
    const email = fields.email.toLowerCase();
    if (this.usersByEmail.has(email)) throw new UniquenessError(`User with userName ${email} already exists`);
    const now = nowWholeSecond();
    const user: UserRecord = {
      ...emptyUserFields(),
      ...fields,
      email,
      id: this.nextUserId(),
      scimId: provisioning.scimId ?? this.runtimeRng.uuid(),
      externalId: provisioning.externalId ?? null,
      phish_prone_percentage: 0,
      current_risk_score: 0,
      provisioning_managed: provisioning.managed,
      provisioning_guid: provisioning.managed ? (provisioning.guid ?? this.runtimeRng.uuid()) : null,
      aliases: [],
      joined_on: now,
      last_sign_in: null,
      status: provisioning.status ?? 'active',
      archived_at: provisioning.status === 'archived' ? now : null,
      adi_manageable: false,
      groupIds: new Set(),
      updatedAt: now,
      dirty: false,
      json: undefined,
    };
    this.insertUser(user);
    return user;
  }

  /** Used by seeding too: keeps the id-ordered array and every index in step. */
  insertUser(user: UserRecord): void {
    const last = this.users[this.users.length - 1];
    if (!last || last.id < user.id) this.users.push(user);
    else {
      const at = this.users.findIndex((u) => u.id > user.id);
      this.users.splice(at, 0, user);
    }
    this.usersById.set(user.id, user);
    this.usersByEmail.set(user.email, user);
    this.usersByScimId.set(user.scimId, user);
    this.version++;
  }

  updateUser(user: UserRecord, fields: Partial<UserFields>): void {
    if (fields.email !== undefined) {
      const email = fields.email.toLowerCase();
      const holder = this.usersByEmail.get(email);
      if (holder && holder !== user) throw new UniquenessError(`User with userName ${email} already exists`);
      this.usersByEmail.delete(user.email);
      this.usersByEmail.set(email, user);
      fields = { ...fields, email };
    }
    Object.assign(user, fields);
    this.touchUser(user);
  }

  setUserStatus(user: UserRecord, status: 'active' | 'archived'): void {
    if (user.status === status) return;
    user.status = status;
    user.archived_at = status === 'archived' ? nowWholeSecond() : null;
    this.touchUser(user);
  }

  setUserRisk(user: UserRecord, risk: { phish_prone_percentage?: number; current_risk_score?: number }): void {
    if (risk.phish_prone_percentage !== undefined) user.phish_prone_percentage = risk.phish_prone_percentage;
    if (risk.current_risk_score !== undefined) user.current_risk_score = risk.current_risk_score;
    this.touchUser(user);
  }

  /** A console hard delete: the user disappears from every list. */
  deleteUser(user: UserRecord): void {
    for (const groupId of user.groupIds) this.groupsById.get(groupId)?.memberIds.delete(user.id);
    for (const groupId of user.groupIds) this.touchGroup(this.groupsById.get(groupId));
    this.users.splice(this.users.indexOf(user), 1);
    this.usersById.delete(user.id);
    this.usersByEmail.delete(user.email);
    this.usersByScimId.delete(user.scimId);
    this.version++;
  }

  touchUser(user: UserRecord): void {
    user.json = undefined;
    user.updatedAt = nowWholeSecond();
    this.version++;
  }

  // ---------- group writes ----------

  createGroup(input: { name: string; group_type?: GroupType; externalId?: string | null; provisioned?: boolean }): GroupRecord {
    const last = this.groups[this.groups.length - 1];
    const now = nowWholeSecond();
    const group: GroupRecord = {
      id: (last?.id ?? 100_000) + this.runtimeRng.int(1, 50),
      scimId: this.runtimeRng.uuid(),
      externalId: input.externalId ?? null,
      name: input.name,
      group_type: input.group_type ?? 'console_group',
      provisioning_guid: input.provisioned ? (input.externalId ?? this.runtimeRng.uuid()) : null,
      current_risk_score: 0,
      status: 'active',
      memberIds: new Set(),
      createdAt: now,
      updatedAt: now,
      sortedMembers: undefined,
    };
    this.insertGroup(group);
    return group;
  }

  insertGroup(group: GroupRecord): void {
    this.groups.push(group);
    this.groups.sort((a, b) => a.id - b.id);
    this.groupsById.set(group.id, group);
    this.groupsByScimId.set(group.scimId, group);
    this.version++;
  }

  deleteGroup(group: GroupRecord): void {
    for (const userId of group.memberIds) {
      const user = this.usersById.get(userId);
      if (user) {
        user.groupIds.delete(group.id);
        this.touchUser(user);
      }
    }
    this.groups.splice(this.groups.indexOf(group), 1);
    this.groupsById.delete(group.id);
    this.groupsByScimId.delete(group.scimId);
    this.version++;
  }

  addMember(group: GroupRecord, user: UserRecord): boolean {
    if (group.memberIds.has(user.id)) return false;
    group.memberIds.add(user.id);
    user.groupIds.add(group.id);
    this.touchGroup(group);
    this.touchUser(user);
    return true;
  }

  removeMember(group: GroupRecord, user: UserRecord): boolean {
    if (!group.memberIds.has(user.id)) return false;
    group.memberIds.delete(user.id);
    user.groupIds.delete(group.id);
    this.touchGroup(group);
    this.touchUser(user);
    return true;
  }

  touchGroup(group: GroupRecord | undefined): void {
    if (!group) return;
    group.sortedMembers = undefined;
    group.updatedAt = nowWholeSecond();
    this.version++;
  }
}

export function emptyUserFields(): Omit<UserFields, 'email'> {
  return {
    employee_number: null,
    first_name: null,
    last_name: null,
    job_title: null,
    phone_number: null,
    extension: null,
    mobile_phone_number: null,
    location: null,
    division: null,
    manager_name: null,
    manager_email: null,
    organization: null,
    department: null,
    language: null,
    comment: null,
    employee_start_date: null,
    custom_field_1: null,
    custom_field_2: null,
    custom_field_3: null,
    custom_field_4: null,
    custom_date_1: null,
    custom_date_2: null,
  };
}

export const USER_FIELD_NAMES: readonly (keyof UserFields)[] = ['email', ...(Object.keys(emptyUserFields()) as (keyof UserFields)[])];
