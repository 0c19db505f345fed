import type { AuditEntry } from '@kb4/persistence';

const COLUMNS = [
  'id',
  'integrated_account_id',
  'seq',
  'occurred_at',
  'type',
  'user_id',
  'user_email',
  'employee_number',
  'group_id',
  'group_name',
  'actor_type',
  'actor_id',
  'operation_id',
  'sync_run_id',
  'roster_run_id',
  'rule_id',
  'request_id',
  'changes',
  'prev_hash',
  'hash',
] as const;

/**
 * One CSV cell (RFC 4180): quoted when it holds a comma, quote or line break. A text cell a spreadsheet would run as
 * a formula (= + - @, tab, carriage return first) gets a leading apostrophe: values come from KnowBe4 and HR systems.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'string' ? value : JSON.stringify(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvHeader(): string {
  return `${COLUMNS.join(',')}\r\n`;
}

export function csvLine(entry: AuditEntry): string {
  const { user, group } = entry.resource;
  const cells: Record<(typeof COLUMNS)[number], unknown> = {
    id: entry.id,
    integrated_account_id: entry.integrated_account_id,
    seq: entry.seq,
    occurred_at: entry.occurred_at,
    type: entry.type,
    user_id: user?.id,
    user_email: user?.email,
    employee_number: user?.employee_number,
    group_id: group?.id,
    group_name: group?.name,
    actor_type: entry.actor.type,
    actor_id: entry.actor.id,
    operation_id: entry.source.operation_id,
    sync_run_id: entry.source.sync_run_id,
    roster_run_id: entry.source.roster_run_id,
    rule_id: entry.source.rule_id,
    request_id: entry.request_id,
    changes: entry.changes,
    prev_hash: entry.prev_hash,
    hash: entry.hash,
  };
  return `${COLUMNS.map((column) => csvCell(cells[column])).join(',')}\r\n`;
}
