import { canonicalJson } from './canonical-json';
import type { UnifiedGroup, UnifiedUser } from '@kb4/contracts';

export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

export interface DiffOptions {
  /** Top-level fields left out of the comparison. */
  ignore?: readonly string[];
  /**
   * Array fields whose order carries no meaning; they compare as sets. A function picks the identity
   * of an element (default: the whole element).
   */
  unordered?: Readonly<Record<string, ((element: unknown) => unknown) | true>>;
}

/** Fields that change without any directory change (sign-ins, raw payload, mirror bookkeeping). */
export const DEFAULT_USER_DIFF_IGNORE: readonly string[] = ['last_active_at', 'remote_data', 'updated_at'];
export const DEFAULT_GROUP_DIFF_IGNORE: readonly string[] = ['remote_data', 'updated_at'];

function groupIdentity(element: unknown): unknown {
  return typeof element === 'object' && element !== null && 'id' in element ? (element).id : element;
}

/**
 * Emails, phones and organizations compare as sets of whole entries; groups as a set of ids, so renaming a
 * group is a group change, not a change of every member. `languages` keeps its order (first = preferred).
 */
export const USER_UNORDERED_FIELDS: Readonly<Record<string, ((element: unknown) => unknown) | true>> = {
  emails: true,
  phones: true,
  organizations: true,
  groups: groupIdentity,
};

/** Risk-related fields; a change to one of them is also a `knowbe4.user.risk_changed`. */
export const USER_RISK_FIELDS: readonly string[] = ['phish_prone_percentage', 'current_risk_score'];

function comparable(value: unknown, identity: ((element: unknown) => unknown) | true | undefined): string {
  if (identity === undefined || !Array.isArray(value)) return canonicalJson(value);
  const pick = identity === true ? (element: unknown) => element : identity;
  return canonicalJson([...new Set(value.map((element) => canonicalJson(pick(element))))].sort());
}

/** `undefined` and `null` both mean "absent"; changes always report null, never undefined (JSON-safe). */
function orNull(value: unknown): unknown {
  return value === undefined ? null : value;
}

/**
 * Field-level diff of two records, in field-name order. Values compare deeply (canonical JSON);
 * `from`/`to` carry the whole top-level value, so applying every `to` to `before` yields `after`.
 */
export function diffRecords(
  before: Readonly<Record<string, unknown>>,
  after: Readonly<Record<string, unknown>>,
  options: DiffOptions = {},
): FieldChange[] {
  const ignored = new Set(options.ignore ?? []);
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((field) => !ignored.has(field)).sort();
  const changes: FieldChange[] = [];
  for (const field of fields) {
    const identity = options.unordered?.[field];
    if (comparable(before[field], identity) !== comparable(after[field], identity)) {
      changes.push({ field, from: orNull(before[field]), to: orNull(after[field]) });
    }
  }
  return changes;
}

export function diffUser(
  before: UnifiedUser,
  after: UnifiedUser,
  options: Pick<DiffOptions, 'ignore'> = {},
): FieldChange[] {
  return diffRecords(toRecord(before), toRecord(after), {
    ignore: options.ignore ?? DEFAULT_USER_DIFF_IGNORE,
    unordered: USER_UNORDERED_FIELDS,
  });
}

export function diffGroup(
  before: UnifiedGroup,
  after: UnifiedGroup,
  options: Pick<DiffOptions, 'ignore'> = {},
): FieldChange[] {
  return diffRecords(toRecord(before), toRecord(after), { ignore: options.ignore ?? DEFAULT_GROUP_DIFF_IGNORE });
}

/** Applies a diff's `to` values: `applyChanges(before, diffRecords(before, after))` equals `after` on compared fields. */
export function applyChanges<T extends object>(before: T, changes: readonly FieldChange[]): T {
  const result: Record<string, unknown> = { ...toRecord(before) };
  for (const change of changes) result[change.field] = change.to;
  return result as T;
}

function toRecord(value: object): Readonly<Record<string, unknown>> {
  return value as Readonly<Record<string, unknown>>;
}
