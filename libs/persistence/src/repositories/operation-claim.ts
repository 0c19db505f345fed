import { IntegratedAccountEntity } from '../entities/integrated-account.entity';
import type { OperationEntity } from '../entities/operations.entities';
import type { ClaimRow } from './operation-write-path.statements';

// The provisioner's claim of one attempt (OperationRepository.claimAttempt / claimAttempts): what it asks, what it finds.

/** The lease an attempt holds on its operation: only its holder may write the outcome, and only while it holds. */
export interface OperationLease {
  operationId: string;
  token: string;
}

export interface ClaimInput {
  operationId: string;
  commandId: string;
  accountId: string;
  /** How long the lease lasts unless renewed. */
  leaseSeconds: number;
  /** Refuse the claim while older unfinished operations of the same target exist (`predecessors`). */
  checkPredecessors: boolean;
}

/** What claiming one attempt of a command found; only `claimed` may call KnowBe4. */
export type AttemptClaim =
  | {
      kind: 'claimed';
      attempts: number;
      operation: Pick<OperationEntity, 'id' | 'accountId' | 'kind'>;
      account: IntegratedAccountEntity;
      lease: OperationLease;
    }
  /** Another delivery holds the lease (or claimed it a moment ago): ask again after `retryAfterMs`. */
  | { kind: 'busy'; retryAfterMs: number }
  /** Older unfinished operations of the same target must be applied first (see unfinishedPredecessors). */
  | { kind: 'predecessors' }
  /** The command id is in processed_commands: a redelivery. */
  | { kind: 'duplicate' }
  /** No such operation (or its account is gone): nothing here can record an outcome. */
  | { kind: 'unknown_operation' }
  | { kind: 'account_mismatch' }
  /** Already succeeded or failed, or finished by a concurrent delivery of the same command meanwhile. */
  | { kind: 'finished'; operationId: string };

/** What one input of CLAIM_ATTEMPTS found. */
export function claimOf(input: ClaimInput, token: string, row: ClaimRow): AttemptClaim {
  if (row.processed) return { kind: 'duplicate' };
  if (row.status === null || row.account === null) return { kind: 'unknown_operation' };
  if (row.accountId !== input.accountId.toLowerCase()) return { kind: 'account_mismatch' };
  if (row.attempts !== null) {
    return {
      kind: 'claimed',
      attempts: row.attempts,
      operation: { id: input.operationId, accountId: row.accountId, kind: row.kind ?? '' },
      account: Object.assign(new IntegratedAccountEntity(), row.account),
      lease: { operationId: input.operationId, token },
    };
  }
  if (row.status === 'succeeded' || row.status === 'failed') return { kind: 'finished', operationId: input.operationId };
  if (row.hasPredecessors) return { kind: 'predecessors' };
  // a live lease, or one claimed concurrently by a delivery this statement's snapshot did not see yet (or by another input of the same statement)
  return { kind: 'busy', retryAfterMs: row.leaseRemainingMs ?? 0 };
}

