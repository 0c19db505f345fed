import type { CloudEventEnvelope } from '@kb4/contracts';

/** What a console learns of one event: enough to know which records to read again, nothing of the records. */
export interface LiveChange {
  id: string;
  type: string;
  time: string;
  integrated_account_id: string;
  operation_id?: string;
  sync_run_id?: string;
  roster_run_id?: string;
}

const LIVE_TYPE = /^knowbe4\.(operation|sync_run|roster_run)\.[a-z_]+$/;
const SOURCE = /^\/integrated-accounts\/([^/]+)$/;

function text(data: Record<string, unknown>, field: string): string | undefined {
  const value = data[field];
  return typeof value === 'string' && value.length > 0 && value.length <= 200 ? value : undefined;
}

/**
 * The summary of a sync-run, roster-run or operation-result event, or null for anything else (directory events are
 * too many to stream — a finished sync run says the users changed).
 */
export function liveChangeOf(event: CloudEventEnvelope<unknown>): LiveChange | null {
  if (!LIVE_TYPE.test(event.type)) return null;
  const data = (typeof event.data === 'object' && event.data !== null ? event.data : {}) as Record<string, unknown>;
  const account = SOURCE.exec(event.source)?.[1] ?? text(data, 'integrated_account_id');
  if (!account) return null;
  const operation = text(data, 'operation_id');
  const syncRun = text(data, 'sync_run_id');
  const rosterRun = text(data, 'roster_run_id');
  return {
    id: event.id,
    type: event.type,
    time: event.time,
    integrated_account_id: account,
    ...(operation ? { operation_id: operation } : {}),
    ...(syncRun ? { sync_run_id: syncRun } : {}),
    ...(rosterRun ? { roster_run_id: rosterRun } : {}),
  };
}

/** One Server-Sent Event: `event:` and a single-line JSON `data:` (JSON.stringify never emits a raw newline). */
export function sseFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
