/** In-memory records of one emulated KnowBe4 account; times are epoch milliseconds on whole seconds. */
export const REGIONS = ['us', 'eu', 'ca', 'uk', 'de'] as const;
export type Region = (typeof REGIONS)[number];
export const isRegion = (value: unknown): value is Region => REGIONS.includes(value as Region);

export type UserStatus = 'active' | 'archived';

/** Console-editable user fields, named as the Reporting API names them. */
export interface UserFields {
  employee_number: string | null;
  first_name: string | null;
  last_name: string | null;
  job_title: string | null;
  email: string;
  phone_number: string | null;
  extension: string | null;
  mobile_phone_number: string | null;
  location: string | null;
  division: string | null;
  manager_name: string | null;
  manager_email: string | null;
  organization: string | null;
  department: string | null;
  language: string | null;
  comment: string | null;
  employee_start_date: number | null;
  custom_field_1: string | null;
  custom_field_2: string | null;
  custom_field_3: string | null;
  custom_field_4: string | null;
  /** KnowBe4 shows custom dates as plain `YYYY-MM-DD`. */
  custom_date_1: string | null;
  custom_date_2: string | null;
}

export interface UserRecord extends UserFields {
  id: number;
  scimId: string;
  /** SCIM externalId as sent by the IdP; mirrored into provisioning_guid. */
  externalId: string | null;
  phish_prone_percentage: number;
  current_risk_score: number;
  provisioning_managed: boolean;
  provisioning_guid: string | null;
  aliases: string[];
  joined_on: number;
  last_sign_in: number | null;
  status: UserStatus;
  archived_at: number | null;
  adi_manageable: boolean;
  groupIds: Set<number>;
  updatedAt: number;
  /** Dirty-data tenants: this record serializes with `null` holes in its arrays. */
  dirty: boolean;
  /** Cached Reporting JSON, dropped on every change. */
  json: string | undefined;
}

export type GroupType = 'console_group' | 'smart_group';

export interface GroupRecord {
  id: number;
  scimId: string;
  externalId: string | null;
  name: string;
  group_type: GroupType;
  provisioning_guid: string | null;
  current_risk_score: number;
  status: UserStatus;
  memberIds: Set<number>;
  createdAt: number;
  updatedAt: number;
  /** Member ids in id order, rebuilt after a membership change. */
  sortedMembers: number[] | undefined;
}

export interface StorePurchaseRecord {
  store_purchase_id: number;
  content_type: 'Store Purchase';
  name: string;
  description: string;
  type: string;
  duration: number;
  retired: boolean;
  retirement_date: number | null;
  publish_date: number;
  publisher: string;
  purchase_date: number;
  policy_url: string | null;
}

export interface PolicyRecord {
  policy_id: number;
  content_type: 'Uploaded Policy';
  name: string;
  minimum_time: number;
  default_language: string;
  status: number;
}

export interface TrainingCampaignRecord {
  campaign_id: number;
  name: string;
  groupIds: number[];
  status: 'Completed' | 'In Progress' | 'Closed' | 'Created';
  storePurchaseIds: number[];
  policyIds: number[];
  duration_type: 'Specific End Date' | 'Relative Duration' | 'No End Date';
  start_date: number;
  end_date: number | null;
  relative_duration: string | null;
  auto_enroll: boolean;
  allow_multiple_enrollments: boolean;
  completion_percentage: number;
}

export type EnrollmentStatus = 'Passed' | 'In Progress' | 'Not Started' | 'Past Due';

export interface EnrollmentRecord {
  enrollment_id: number;
  /** Store purchase the module comes from; may point at a missing one on dirty tenants. */
  storePurchaseId: number;
  moduleName: string;
  userId: number;
  campaignId: number;
  enrollment_date: number;
  start_date: number | null;
  completion_date: number | null;
  status: EnrollmentStatus;
  time_spent: number;
  policy_acknowledged: boolean;
}

export interface PhishingCampaignRecord {
  campaign_id: number;
  name: string;
  groupIds: number[];
  last_phish_prone_percentage: number;
  last_run: number;
  status: 'Active' | 'Closed';
  hidden: boolean;
  send_duration: string;
  track_duration: string;
  frequency: 'One Time' | 'Weekly' | 'Monthly' | 'Quarterly';
  difficulty_filter: number[];
  create_date: number;
  pstIds: number[];
}

export interface RecipientRecord {
  recipient_id: number;
  userId: number;
  scheduled_at: number;
  delivered_at: number | null;
  opened_at: number | null;
  clicked_at: number | null;
  replied_at: number | null;
  attachment_opened_at: number | null;
  macro_enabled_at: number | null;
  data_entered_at: number | null;
  /** When the user scanned the QR code of a QR-code test (KnowBe4's `qr_code_scanned`, a datetime). */
  qr_code_scanned_at: number | null;
  reported_at: number | null;
  bounced_at: number | null;
  /** The landing page found an outdated browser plugin (counted as `vulnerable_plugin_count`). */
  vulnerable_plugin: boolean;
  /** …and the simulated exploit of it succeeded (`exploited_count`). */
  exploited: boolean;
  ip: string | null;
  ip_location: string | null;
  browser: string | null;
  browser_version: string | null;
  os: string | null;
}

export interface SecurityTestRecord {
  pst_id: number;
  campaign_id: number;
  name: string;
  status: 'Closed' | 'Active';
  groupIds: number[];
  /** Shown as a fraction (0.5) in KnowBe4's security-test docs, kept so. */
  phish_prone_percentage: number;
  started_at: number;
  duration: number;
  categories: { category_id: number; name: string }[];
  template: { id: number; name: string; difficulty: number; type: string };
  landing_page: { id: number; name: string };
  recipients: RecipientRecord[];
}

export interface AccountRecord {
  name: string;
  type: string;
  domains: string[];
  admins: { id: number; first_name: string; last_name: string; email: string }[];
  subscription_level: string;
  subscription_end_date: string;
  number_of_seats: number;
  current_risk_score: number;
}

export interface RiskPoint {
  risk_score: number;
  date: string;
}
