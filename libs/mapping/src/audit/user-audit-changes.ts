import { diffRecords, FieldChange, USER_RISK_FIELDS, USER_UNORDERED_FIELDS } from '../diff/diff-records';

export type UserAuditType = 'user.created' | 'user.updated' | 'user.archived' | 'user.reactivated';

export interface UserAuditChange {
  type: UserAuditType;
  changes: FieldChange[];
}

/**
 * Fields an audit entry never reports: bookkeeping and ids, sign-in times, risk (KnowBe4 recomputes it; it is no
 * one's change to the user), group membership (entries of its own) and the raw payload.
 */
export const USER_AUDIT_IGNORE: readonly string[] = ['id', 'remote_data', 'updated_at', 'created_at', 'last_active_at', 'groups', ...USER_RISK_FIELDS];

function isEmpty(value: unknown): boolean {
  return value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0);
}

/**
 * What the audit log records for one user between two unified records: a create lists every field it set (from
 * null); otherwise `user.updated` carries the ordinary fields that changed and `user.archived` / `user.reactivated`
 * the status. Nothing when nothing audited changed.
 */
export function userAuditChanges(before: Readonly<Record<string, unknown>> | null, after: Readonly<Record<string, unknown>>): UserAuditChange[] {
  const ignore = new Set(USER_AUDIT_IGNORE);
  if (before === null) {
    const changes = Object.keys(after)
      .filter((field) => !ignore.has(field) && !isEmpty(after[field]))
      .sort()
      .map((field) => ({ field, from: null, to: after[field] }));
    return [{ type: 'user.created', changes }];
  }
  const all = diffRecords(before, after, { ignore: USER_AUDIT_IGNORE, unordered: USER_UNORDERED_FIELDS });
  const result: UserAuditChange[] = [];
  const updated = all.filter((change) => change.field !== 'status');
  if (updated.length > 0) result.push({ type: 'user.updated', changes: updated });
  const status = all.find((change) => change.field === 'status');
  if (status) result.push({ type: status.to === 'inactive' ? 'user.archived' : 'user.reactivated', changes: [status] });
  return result;
}
