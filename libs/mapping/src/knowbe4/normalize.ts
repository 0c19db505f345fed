import type { KnowBe4UserStatus } from '@kb4/knowbe4';
import type {
  KnowBe4RiskScorePoint,
  NormalizedKnowBe4Group,
  NormalizedKnowBe4User,
  NormalizedRiskScorePoint,
} from './knowbe4-records';

/** Thrown when a fetched record cannot be a KnowBe4 user or group at all (null entry, no id). */
export class InvalidKnowBe4RecordError extends Error {
  constructor(
    readonly entity: 'user' | 'group',
    readonly reason: string,
  ) {
    super(`Invalid KnowBe4 ${entity} record: ${reason}`);
    this.name = 'InvalidKnowBe4RecordError';
  }
}

export type NormalizeResult<T> = { ok: true; record: T } | { ok: false; reason: string };

type RawRecord = Record<string, unknown>;

function isRecord(value: unknown): value is RawRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Blank strings mean "not set" in KnowBe4 exports; treating them as null keeps diffs quiet. */
function optionalString(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value.trim() === '' ? null : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

function optionalNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : null;
  }
  return null;
}

function integerId(value: unknown): number | null {
  const parsed = optionalNumber(value);
  return parsed !== null && Number.isSafeInteger(parsed) ? parsed : null;
}

/** Datetimes are re-serialized so `…Z` and `….000Z` spellings of one instant compare equal. */
function optionalDateTime(value: unknown): string | null {
  const text = optionalString(value);
  if (text === null) return null;
  const millis = Date.parse(text);
  return Number.isNaN(millis) ? text : new Date(millis).toISOString();
}

/** Risk-score history dates come as `YYYY-MM-DD` and as `YYYY-MM-DDT00:00:00.000Z`; both mean a day. */
export function normalizeRiskScoreDate(value: string): string {
  const dayPrefix = /^(\d{4}-\d{2}-\d{2})/.exec(value.trim());
  if (dayPrefix) return dayPrefix[1];
  const millis = Date.parse(value);
  return Number.isNaN(millis) ? value : new Date(millis).toISOString().slice(0, 10);
}

export function normalizeRiskScoreHistory(
  points: ReadonlyArray<KnowBe4RiskScorePoint | null | undefined> | null | undefined,
): NormalizedRiskScorePoint[] {
  if (!Array.isArray(points)) return [];
  const normalized: NormalizedRiskScorePoint[] = [];
  for (const point of points as unknown[]) {
    if (!isRecord(point)) continue;
    const date = optionalString(point.date);
    if (date === null) continue;
    normalized.push({ risk_score: optionalNumber(point.risk_score), date: normalizeRiskScoreDate(date) });
  }
  return normalized;
}

function normalizeStatus(status: unknown, archivedAt: string | null): KnowBe4UserStatus {
  const text = optionalString(status)?.toLowerCase();
  if (text === 'archived') return 'archived';
  if (text === 'active') return 'active';
  return archivedAt !== null ? 'archived' : 'active';
}

function groupIds(groups: unknown): number[] {
  if (!Array.isArray(groups)) return [];
  const ids: number[] = [];
  for (const entry of groups as unknown[]) {
    const id = isRecord(entry) ? integerId(entry.id) : integerId(entry);
    if (id !== null && !ids.includes(id)) ids.push(id);
  }
  return ids;
}

function stringList(values: unknown): string[] {
  if (!Array.isArray(values)) return [];
  return (values as unknown[]).map(optionalString).filter((value): value is string => value !== null);
}

/** Like `normalizeKnowBe4User` but reports a bad record instead of throwing, so a sync can skip and count it. */
export function tryNormalizeKnowBe4User(raw: unknown): NormalizeResult<NormalizedKnowBe4User> {
  if (!isRecord(raw)) return { ok: false, reason: raw === null ? 'null entry' : `not an object (${typeof raw})` };
  const id = integerId(raw.id);
  if (id === null) return { ok: false, reason: `missing or non-integer id (${JSON.stringify(raw.id) ?? 'undefined'})` };

  const archivedAt = optionalDateTime(raw.archived_at);
  const record: NormalizedKnowBe4User = {
    ...raw,
    id,
    // A string on users that keeps leading zeros ("00000"); only enrollments send it as an integer.
    employee_number: optionalString(raw.employee_number),
    first_name: optionalString(raw.first_name),
    last_name: optionalString(raw.last_name),
    job_title: optionalString(raw.job_title),
    email: optionalString(raw.email),
    phish_prone_percentage: optionalNumber(raw.phish_prone_percentage),
    phone_number: optionalString(raw.phone_number),
    extension: optionalString(raw.extension),
    mobile_phone_number: optionalString(raw.mobile_phone_number),
    location: optionalString(raw.location),
    division: optionalString(raw.division),
    manager_name: optionalString(raw.manager_name),
    manager_email: optionalString(raw.manager_email),
    provisioning_managed: (raw.provisioning_managed ?? raw.adi_manageable) === true,
    provisioning_guid: optionalString(raw.provisioning_guid ?? raw.adi_guid),
    groups: groupIds(raw.groups),
    current_risk_score: optionalNumber(raw.current_risk_score),
    aliases: stringList(raw.aliases),
    joined_on: optionalDateTime(raw.joined_on),
    last_sign_in: optionalDateTime(raw.last_sign_in),
    status: normalizeStatus(raw.status, archivedAt),
    organization: optionalString(raw.organization),
    department: optionalString(raw.department),
    language: optionalString(raw.language),
    comment: optionalString(raw.comment),
    employee_start_date: optionalString(raw.employee_start_date),
    archived_at: archivedAt,
    custom_field_1: optionalString(raw.custom_field_1),
    custom_field_2: optionalString(raw.custom_field_2),
    custom_field_3: optionalString(raw.custom_field_3),
    custom_field_4: optionalString(raw.custom_field_4),
    custom_date_1: optionalString(raw.custom_date_1),
    custom_date_2: optionalString(raw.custom_date_2),
  };
  if (raw.risk_score_history !== undefined) {
    record.risk_score_history = normalizeRiskScoreHistory(raw.risk_score_history as KnowBe4RiskScorePoint[] | null);
  }
  return { ok: true, record };
}

/**
 * Canonicalizes a fetched user before mapping: legacy `adi_*` names become `provisioning_*`, ids become
 * numbers, null arrays become empty, blanks become null, datetimes get one spelling. Idempotent.
 * Unknown extra fields are kept untouched.
 */
export function normalizeKnowBe4User(raw: unknown): NormalizedKnowBe4User {
  const result = tryNormalizeKnowBe4User(raw);
  if (!result.ok) throw new InvalidKnowBe4RecordError('user', result.reason);
  return result.record;
}

export function tryNormalizeKnowBe4Group(raw: unknown): NormalizeResult<NormalizedKnowBe4Group> {
  if (!isRecord(raw)) return { ok: false, reason: raw === null ? 'null entry' : `not an object (${typeof raw})` };
  const id = integerId(raw.id);
  if (id === null) return { ok: false, reason: `missing or non-integer id (${JSON.stringify(raw.id) ?? 'undefined'})` };
  const record: NormalizedKnowBe4Group = {
    ...raw,
    id,
    name: optionalString(raw.name) ?? '',
    group_type: optionalString(raw.group_type),
    provisioning_guid: optionalString(raw.provisioning_guid ?? raw.adi_guid),
    member_count: optionalNumber(raw.member_count),
    current_risk_score: optionalNumber(raw.current_risk_score),
    status: normalizeStatus(raw.status, null),
  };
  if (raw.risk_score_history !== undefined) {
    record.risk_score_history = normalizeRiskScoreHistory(raw.risk_score_history as KnowBe4RiskScorePoint[] | null);
  }
  return { ok: true, record };
}

export function normalizeKnowBe4Group(raw: unknown): NormalizedKnowBe4Group {
  const result = tryNormalizeKnowBe4Group(raw);
  if (!result.ok) throw new InvalidKnowBe4RecordError('group', result.reason);
  return result.record;
}
