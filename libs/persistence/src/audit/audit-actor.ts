import type { AuditActor, AuditSource } from './audit-chain';

export interface OperationAttribution {
  actor: AuditActor;
  source: AuditSource;
  requestId: string | null;
}

/** A change a sync saw in KnowBe4 that none of our writes had already put in the mirror. */
export function attributionOfSyncRun(syncRunId: string): OperationAttribution {
  return { actor: { type: 'knowbe4-console', id: null }, source: { sync_run_id: syncRunId }, requestId: null };
}
