/**
 * What the mapping adds to the Reporting API records of @kb4/knowbe4 (`KnowBe4User`, `KnowBe4Group`, the client's
 * wire types): the loose shapes normalization accepts from older payloads and the normalized records it returns.
 */
import type { KnowBe4UserStatus } from '@kb4/knowbe4';

/** One point of a risk-score history, as either endpoint or the legacy inline field returns it. */
export interface KnowBe4RiskScorePoint {
  risk_score?: number | string | null;
  date?: string | null;
}

export const KNOWBE4_CUSTOM_FIELD_NAMES = [
  'custom_field_1',
  'custom_field_2',
  'custom_field_3',
  'custom_field_4',
  'custom_date_1',
  'custom_date_2',
] as const;
export type KnowBe4CustomFieldName = (typeof KNOWBE4_CUSTOM_FIELD_NAMES)[number];

/** A risk-score point after normalization: numeric score, `YYYY-MM-DD` date. */
export interface NormalizedRiskScorePoint {
  risk_score: number | null;
  date: string;
}

/**
 * A user after `normalizeKnowBe4User`: current field names, canonical types, blanks as null.
 * Unknown extra fields are kept as they came (index signature), so nothing fetched is lost.
 */
export interface NormalizedKnowBe4User {
  id: number;
  employee_number: string | null;
  first_name: string | null;
  last_name: string | null;
  job_title: string | null;
  email: string | null;
  phish_prone_percentage: number | null;
  phone_number: string | null;
  extension: string | null;
  mobile_phone_number: string | null;
  location: string | null;
  division: string | null;
  manager_name: string | null;
  manager_email: string | null;
  provisioning_managed: boolean;
  provisioning_guid: string | null;
  groups: number[];
  current_risk_score: number | null;
  aliases: string[];
  joined_on: string | null;
  last_sign_in: string | null;
  status: KnowBe4UserStatus;
  organization: string | null;
  department: string | null;
  language: string | null;
  comment: string | null;
  employee_start_date: string | null;
  archived_at: string | null;
  custom_field_1: string | null;
  custom_field_2: string | null;
  custom_field_3: string | null;
  custom_field_4: string | null;
  custom_date_1: string | null;
  custom_date_2: string | null;
  risk_score_history?: NormalizedRiskScorePoint[];
  [extra: string]: unknown;
}

export interface NormalizedKnowBe4Group {
  id: number;
  name: string;
  group_type: string | null;
  provisioning_guid: string | null;
  member_count: number | null;
  current_risk_score: number | null;
  status: KnowBe4UserStatus;
  risk_score_history?: NormalizedRiskScorePoint[];
  [extra: string]: unknown;
}
