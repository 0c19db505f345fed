import { reportingGroups, reportingUsers } from '../../../../../../libs/mapping/src/__fixtures__/load-fixture';
import type { DiffContext } from '../record-write';

/** Test support for the page diffs: recorded KnowBe4 records and a fixed run context. */
export const RECORDED_USERS = reportingUsers();
export const RECORDED_GROUPS = reportingGroups();

export const NOW = '2026-11-28T00:00:00.000Z';

export function diffContext(overrides: Partial<DiffContext> = {}): DiffContext {
  return { ctx: { accountId: 'acc-1', runId: 'run-1' }, emit: true, now: NOW, maxRecordChars: 65_536, ...overrides };
}

/** A recorded record by id (the fixtures hold some with string ids). */
export function recorded(records: readonly unknown[], id: number): Record<string, unknown> {
  const found = records.find((r) => typeof r === 'object' && r !== null && String((r as { id: unknown }).id) === String(id));
  if (!found) throw new Error(`no recorded record ${id}`);
  return structuredClone(found) as Record<string, unknown>;
}
