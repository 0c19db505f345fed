import type { OperationEntity } from '../entities/operations.entities';

/** An operation as the API shows it (GET /operations/{id}, every 202 of a write). */
export interface OperationView {
  id: string;
  integrated_account_id: string;
  type: string;
  status: OperationEntity['status'];
  attempts: number;
  request: { method: unknown; path: unknown; body: unknown };
  /** What KnowBe4 SCIM answered (action, SCIM id, …) once the operation succeeded. */
  scim_response: Record<string, unknown> | null;
  /** The unified record after the write, as `GET /unified/user-directory/users/{id}` now serves it. */
  result: Record<string, unknown> | null;
  error: Record<string, unknown> | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

export function isFinished(operation: Pick<OperationEntity, 'status'>): boolean {
  return operation.status === 'succeeded' || operation.status === 'failed';
}

export function operationView(operation: OperationEntity): OperationView {
  const result = operation.result ?? {};
  return {
    id: operation.id,
    integrated_account_id: operation.accountId,
    type: operation.kind,
    status: operation.status,
    attempts: operation.attempts,
    request: { method: operation.request.method, path: operation.request.path, body: operation.request.body ?? null },
    scim_response: (result.scim as Record<string, unknown> | undefined) ?? null,
    result: (result.record as Record<string, unknown> | undefined) ?? null,
    error: operation.error,
    created_at: operation.createdAt.toISOString(),
    updated_at: operation.updatedAt.toISOString(),
    finished_at: operation.finishedAt?.toISOString() ?? null,
  };
}
