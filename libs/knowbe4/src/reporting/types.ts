/**
 * KnowBe4 Reporting API records as they arrive (snake_case, nullable). Every field is optional except ids because
 * recorded responses omit fields freely; unknown extra fields are kept at runtime (`remote_data` needs them).
 * Datetimes are ISO strings (`…T…:….000Z`); dates may be `YYYY-MM-DD` or a midnight datetime.
 */

export type IsoDateTime = string;
export type IsoDate = string;

export interface KnowBe4AccountAdmin {
  id: number;
  first_name?: string | null;
  last_name?: string | null;
  email?: string | null;
}

/** GET /v1/account. Trial accounts omit subscription_level, subscription_end_date and number_of_seats entirely. */
export interface KnowBe4Account {
  name: string;
  type?: string | null;
  domains?: string[] | null;
  admins?: KnowBe4AccountAdmin[] | null;
  subscription_level?: string | null;
  subscription_end_date?: IsoDate | null;
  number_of_seats?: number | null;
  current_risk_score?: number | null;
  risk_score_history?: KnowBe4RiskScoreHistoryEntry[] | null;
}

export interface KnowBe4RiskScoreHistoryEntry {
  risk_score: number;
  /** `YYYY-MM-DD` or `YYYY-MM-DDT00:00:00.000Z` — both occur. */
  date: string;
}

export type KnowBe4UserStatus = 'active' | 'archived';

export interface KnowBe4User {
  id: number;
  /** A string that keeps leading zeros (`"00000"`). */
  employee_number?: string | null;
  first_name?: string | null;
  last_name?: string | null;
  job_title?: string | null;
  email: string;
  /** A percentage: 12.5 means 12.5 %. */
  phish_prone_percentage?: number | null;
  phone_number?: string | null;
  extension?: string | null;
  mobile_phone_number?: string | null;
  location?: string | null;
  division?: string | null;
  manager_name?: string | null;
  manager_email?: string | null;
  provisioning_managed?: boolean | null;
  provisioning_guid?: string | null;
  /** Group ids; with `expand=group` the API returns group objects instead. */
  groups?: Array<number | KnowBe4GroupSummary> | null;
  current_risk_score?: number | null;
  aliases?: string[] | null;
  joined_on?: IsoDateTime | null;
  last_sign_in?: IsoDateTime | null;
  status?: KnowBe4UserStatus | null;
  organization?: string | null;
  department?: string | null;
  language?: string | null;
  comment?: string | null;
  employee_start_date?: IsoDateTime | null;
  archived_at?: IsoDateTime | null;
  custom_field_1?: string | null;
  custom_field_2?: string | null;
  custom_field_3?: string | null;
  custom_field_4?: string | null;
  custom_date_1?: IsoDate | null;
  custom_date_2?: IsoDate | null;
  /** Older name of `provisioning_managed`; the client copies it across when only this one is present. */
  adi_manageable?: boolean | null;
  /** Older name of `provisioning_guid`; copied across likewise. */
  adi_guid?: string | null;
  /** Older responses carried history inline. */
  risk_score_history?: KnowBe4RiskScoreHistoryEntry[] | null;
}

export interface KnowBe4GroupSummary {
  id: number;
  name?: string | null;
}

export type KnowBe4GroupStatus = 'active' | 'archived';

export interface KnowBe4Group {
  id: number;
  name: string;
  /** `console_group`, `smart_group`, … */
  group_type?: string | null;
  provisioning_guid?: string | null;
  adi_guid?: string | null;
  member_count?: number | null;
  current_risk_score?: number | null;
  /** `active` | `archived`; kept open for values KnowBe4 may add. */
  status?: string | null;
  risk_score_history?: KnowBe4RiskScoreHistoryEntry[] | null;
}

export interface KnowBe4NamedRef {
  id: number;
  name?: string | null;
}

export interface KnowBe4CampaignGroupRef {
  group_id: number;
  name?: string | null;
}

export interface KnowBe4CampaignPstSummary {
  pst_id: number;
  status?: string | null;
  start_date?: IsoDateTime | null;
  users_count?: number | null;
  phish_prone_percentage?: number | null;
}

export interface KnowBe4PhishingCampaign {
  campaign_id: number;
  name: string;
  groups?: KnowBe4CampaignGroupRef[] | null;
  last_phish_prone_percentage?: number | null;
  last_run?: IsoDateTime | null;
  status?: string | null;
  hidden?: boolean | null;
  send_duration?: string | null;
  track_duration?: string | null;
  frequency?: string | null;
  difficulty_filter?: number[] | null;
  create_date?: IsoDateTime | null;
  psts_count?: number | null;
  psts?: KnowBe4CampaignPstSummary[] | null;
}

export interface KnowBe4SecurityTest {
  campaign_id: number;
  pst_id: number;
  status?: string | null;
  name?: string | null;
  groups?: KnowBe4CampaignGroupRef[] | null;
  /** Shown as a fraction (0.5) in KnowBe4's docs, unlike users' percentage. */
  phish_prone_percentage?: number | null;
  started_at?: IsoDateTime | null;
  duration?: number | null;
  categories?: Array<{ category_id: number; name?: string | null }> | null;
  template?: KnowBe4NamedRef | null;
  /** The docs spell `landing-page`; recorded responses use `landing_page`. */
  landing_page?: KnowBe4NamedRef | null;
  'landing-page'?: KnowBe4NamedRef | null;
  scheduled_count?: number | null;
  delivered_count?: number | null;
  opened_count?: number | null;
  clicked_count?: number | null;
  replied_count?: number | null;
  attachment_open_count?: number | null;
  macro_enabled_count?: number | null;
  data_entered_count?: number | null;
  /** Recipients whose browser showed an outdated plugin on the landing page (an integer). */
  vulnerable_plugin_count?: number | null;
  /** Recipients on whom the simulated exploit of such a plugin succeeded (an integer). */
  exploited_count?: number | null;
  qr_code_scanned_count?: number | null;
  reported_count?: number | null;
  bounced_count?: number | null;
}

export interface KnowBe4RecipientUser {
  id: number;
  provisioning_guid?: string | null;
  /** Older name of `provisioning_guid` on recipients. */
  active_directory_guid?: string | null;
  first_name?: string | null;
  last_name?: string | null;
  email?: string | null;
  employee_number?: string | null;
}

export interface KnowBe4SecurityTestRecipient {
  recipient_id: number;
  pst_id: number;
  user: KnowBe4RecipientUser;
  template?: KnowBe4NamedRef | null;
  scheduled_at?: IsoDateTime | null;
  delivered_at?: IsoDateTime | null;
  opened_at?: IsoDateTime | null;
  clicked_at?: IsoDateTime | null;
  replied_at?: IsoDateTime | null;
  attachment_opened_at?: IsoDateTime | null;
  macro_enabled_at?: IsoDateTime | null;
  data_entered_at?: IsoDateTime | null;
  /** A datetime despite the name (no `_at`), null when the QR code was not scanned. */
  qr_code_scanned?: IsoDateTime | null;
  reported_at?: IsoDateTime | null;
  bounced_at?: IsoDateTime | null;
  ip?: string | null;
  ip_location?: string | null;
  browser?: string | null;
  browser_version?: string | null;
  os?: string | null;
}

export interface KnowBe4StorePurchase {
  store_purchase_id: number;
  content_type?: string | null;
  name?: string | null;
  description?: string | null;
  type?: string | null;
  duration?: number | null;
  retired?: boolean | null;
  retirement_date?: IsoDate | null;
  publish_date?: IsoDate | null;
  publisher?: string | null;
  purchase_date?: IsoDate | null;
  policy_url?: string | null;
}

export interface KnowBe4Policy {
  policy_id: number;
  content_type?: string | null;
  name?: string | null;
  minimum_time?: number | null;
  default_language?: string | null;
  status?: number | string | null;
}

export interface KnowBe4TrainingContentRef {
  store_purchase_id?: number | null;
  policy_id?: number | null;
  content_type?: string | null;
  name?: string | null;
  description?: string | null;
  type?: string | null;
  duration?: number | null;
  retired?: boolean | null;
  retirement_date?: IsoDate | null;
  publish_date?: IsoDate | null;
  publisher?: string | null;
  purchase_date?: IsoDate | null;
  policy_url?: string | null;
}

export interface KnowBe4TrainingCampaign {
  campaign_id: number;
  name: string;
  groups?: KnowBe4CampaignGroupRef[] | null;
  status?: string | null;
  content?: KnowBe4TrainingContentRef[] | null;
  duration_type?: string | null;
  start_date?: IsoDateTime | null;
  end_date?: IsoDateTime | null;
  relative_duration?: string | null;
  auto_enroll?: boolean | null;
  allow_multiple_enrollments?: boolean | null;
  /** Omitted when listed with `exclude_percentages=true`. */
  completion_percentage?: number | null;
}

export interface KnowBe4EnrollmentUser {
  /** Can exceed 32 bits. */
  id: number;
  first_name?: string | null;
  last_name?: string | null;
  email?: string | null;
  /** An integer here (only with `include_employee_number=true`), unlike the string on users. */
  employee_number?: number | string | null;
}

export interface KnowBe4Enrollment {
  enrollment_id: number;
  content_type?: string | null;
  module_name?: string | null;
  user?: KnowBe4EnrollmentUser | null;
  campaign_name?: string | null;
  /** Only with `include_campaign_id=true`. */
  campaign_id?: number | null;
  enrollment_date?: IsoDateTime | null;
  start_date?: IsoDateTime | null;
  completion_date?: IsoDateTime | null;
  status?: string | null;
  time_spent?: number | null;
  policy_acknowledged?: boolean | null;
  /** Only with `include_store_purchase_id=true`. Live clients use `store_purchase_id`; the docs spell `store_purchased_id`. */
  store_purchase_id?: number | null;
  store_purchased_id?: number | null;
}

// Query shapes are type aliases (not interfaces) so they fit the transport's string-keyed Query.

/** Cursor mode of /v1/training/enrollments (`cursor=true`). */
export interface KnowBe4CursorPage<T> {
  data: Array<T | null>;
  _metadata?: { next_cursor?: string | null } | null;
}

export type ListUsersQuery = {
  status?: KnowBe4UserStatus;
  group_id?: number;
  expand?: 'group';
  per_page?: number;
};

export type ListGroupsQuery = {
  status?: KnowBe4GroupStatus;
  per_page?: number;
};

export type ListTrainingCampaignsQuery = {
  /** Without it KnowBe4 returns at most 10 campaigns. Defaults to true in this client. */
  exclude_percentages?: boolean;
  per_page?: number;
};

export type ListEnrollmentsQuery = {
  store_purchase_id?: number;
  campaign_id?: number;
  user_id?: number;
  exclude_archived_users?: boolean;
  include_campaign_id?: boolean;
  /** Adds `store_purchase_id` to each enrollment. */
  include_store_purchase_id?: boolean;
  include_employee_number?: boolean;
  per_page?: number;
  /** `page` (documented) or `cursor` (reported by open-source clients; `page` is said to be deprecated in 2026). */
  mode?: 'page' | 'cursor';
};

export type RiskScoreHistoryQuery = {
  /** Whole history instead of the last six months. */
  full?: boolean;
};

export type PerPageQuery = {
  per_page?: number;
};
