import { DIRECTORY_EVENT_TYPES } from '@kb4/contracts';
import { diffRecords, FieldChange, USER_RISK_FIELDS, USER_UNORDERED_FIELDS } from '@kb4/mapping';

/** Fields that never make a `user.updated`: bookkeeping, plus status/risk/groups which have their own events. */
const NOT_IN_UPDATED = ['remote_data', 'updated_at', 'status', 'groups', ...USER_RISK_FIELDS];

export interface UserChangeSet {
  /** Event types in the order they are emitted for this user, with the changes each carries. */
  events: Array<{ type: string; changes?: FieldChange[] }>;
  /** Whether anything a reader of the mirror would notice changed (sets `updated_at`). */
  contentChanged: boolean;
}

/**
 * What happened to one user between two unified records (stored `before`, fetched `after`):
 * `updated` lists the ordinary fields that really changed (minus `ignore`), `archived`/`reactivated` follow the
 * status, `risk_changed` the phish-prone percentage and risk score. Group membership is reported by the group events.
 */
export function classifyUserChange(
  before: Readonly<Record<string, unknown>>,
  after: Readonly<Record<string, unknown>>,
  ignore: readonly string[],
): UserChangeSet {
  const all = diffRecords(before, after, { ignore: ['remote_data', 'updated_at'], unordered: USER_UNORDERED_FIELDS });
  const ignored = new Set([...NOT_IN_UPDATED, ...ignore]);
  const events: UserChangeSet['events'] = [];
  const updated = all.filter((change) => !ignored.has(change.field));
  if (updated.length > 0) events.push({ type: DIRECTORY_EVENT_TYPES.userUpdated, changes: updated });
  const status = all.find((change) => change.field === 'status');
  if (status) {
    const type = status.to === 'inactive' ? DIRECTORY_EVENT_TYPES.userArchived : DIRECTORY_EVENT_TYPES.userReactivated;
    events.push({ type, changes: [status] });
  }
  const risk = all.filter((change) => USER_RISK_FIELDS.includes(change.field));
  if (risk.length > 0) events.push({ type: DIRECTORY_EVENT_TYPES.userRiskChanged, changes: risk });
  const contentChanged = all.some((change) => change.field !== 'last_active_at');
  return { events, contentChanged };
}

/** Membership delta of one user: group ids to add and to remove. */
export function membershipDelta(before: readonly string[], after: readonly string[]): { added: string[]; removed: string[] } {
  const old = new Set(before);
  const now = new Set(after);
  return { added: [...now].filter((id) => !old.has(id)), removed: [...old].filter((id) => !now.has(id)) };
}
