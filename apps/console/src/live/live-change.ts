import { keys } from '../api/queries';

/**
 * What the gateway's /events/stream sends for each event of the workspace: a summary, the records are re-read. The
 * same shape as apps/gateway/src/live/live-change.ts, which builds it (the browser build cannot import the gateway).
 */
export interface LiveChange {
  id: string;
  type: string;
  time: string;
  integrated_account_id: string;
  operation_id?: string;
  sync_run_id?: string;
  roster_run_id?: string;
}

export function parseLiveChange(data: string): LiveChange | null {
  try {
    const value = JSON.parse(data) as Partial<LiveChange>;
    if (typeof value.type !== 'string' || typeof value.integrated_account_id !== 'string' || typeof value.id !== 'string') return null;
    return value as LiveChange;
  } catch {
    return null;
  }
}

/** The cached queries a change makes stale: the screens showing them re-read without a reload. */
export function staleKeysOf(change: LiveChange): ReadonlyArray<readonly unknown[]> {
  const account = change.integrated_account_id;
  if (change.type.startsWith('knowbe4.operation.')) {
    return [keys.operations, ['operation', change.operation_id], keys.users(account), keys.groups(account), keys.licenses(account)];
  }
  if (change.type.startsWith('knowbe4.sync_run.')) {
    return [keys.syncRuns(account), keys.account(account), keys.accounts, ...(change.type.endsWith('.started') ? [] : [keys.users(account), keys.licenses(account), keys.groups(account)])];
  }
  if (change.type.startsWith('knowbe4.roster_run.')) {
    return [keys.rosterRuns(account), ['roster-run', change.roster_run_id]];
  }
  return [];
}
