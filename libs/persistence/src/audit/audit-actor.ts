import type { AuditActor, AuditSource } from './audit-chain';

/**
 * Who made a change and through what. Given to AuditLogRepository.append, the actor, operation_id and sync_run_id are
 * recorded; a request id, a roster run or rules are only ever read from the operation itself (appendForOperation).
 */
export interface OperationAttribution {
  actor: AuditActor;
  source: AuditSource;
  requestId: string | null;
}

/** A change a sync saw in KnowBe4 that none of our writes had already put in the mirror. */
export function attributionOfSyncRun(syncRunId: string): OperationAttribution {
  return { actor: { type: 'knowbe4-console', id: null }, source: { sync_run_id: syncRunId }, requestId: null };
}
