import type { AuditActor, AuditSource } from './audit-chain';

export interface OperationAttribution {
  actor: AuditActor;
  source: AuditSource;
  requestId: string | null;
}

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

/**
 * Who made a change our operation applied, from operations.actor: the API key (and the request that asked), the
 * roster run, or the mapping rules (several rules that agree are named together, comma-separated; the new-hires
 * automation by its name). An operation without an actor (recorded before actors were kept) is the system's.
 */
export function attributionOfOperation(operationId: string, actor: Record<string, unknown> | null): OperationAttribution {
  const requestId = text(actor?.request_id);
  switch (actor?.type) {
    case 'api_key':
      return { actor: { type: 'api_key', id: text(actor.id) }, source: { operation_id: operationId }, requestId };
    case 'admin':
      return { actor: { type: 'admin', id: null }, source: { operation_id: operationId }, requestId };
    case 'roster': {
      const runId = text(actor.roster_run_id) ?? text(actor.id);
      return { actor: { type: 'roster_run', id: runId }, source: { operation_id: operationId, ...(runId ? { roster_run_id: runId } : {}) }, requestId };
    }
    case 'automation': {
      const ruleIds = Array.isArray(actor.rule_ids) ? actor.rule_ids.filter((id): id is string => typeof id === 'string' && id !== '') : [];
      const ruleId = ruleIds.length > 0 ? ruleIds.join(',') : (text(actor.source) ?? 'automation');
      return { actor: { type: 'rule', id: ruleId }, source: { operation_id: operationId, rule_id: ruleId }, requestId };
    }
    default:
      return { actor: { type: 'system', id: null }, source: { operation_id: operationId }, requestId };
  }
}

/** A change a sync saw in KnowBe4 that none of our writes had already put in the mirror. */
export function attributionOfSyncRun(syncRunId: string): OperationAttribution {
  return { actor: { type: 'knowbe4-console', id: null }, source: { sync_run_id: syncRunId }, requestId: null };
}
