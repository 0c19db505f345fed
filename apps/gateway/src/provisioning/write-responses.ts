import type { Response } from 'express';
import type { Accepted, ProvisioningService } from './provisioning.service';
import type { UnifiedWriteContext } from './unified-write.decorator';
import { isFinished, OperationView } from './operation-view';

/**
 * 202 with the operation while it is pending; 200 when `Prefer: wait` saw it finish. `Location` names the
 * operation, and a replayed Idempotency-Key is flagged so clients can tell.
 */
export function sendAccepted(response: Response, accepted: Accepted, operation: OperationView, waited: number | undefined): OperationView {
  response.status(isFinished(operation) && waited !== undefined ? 200 : 202);
  response.setHeader('location', `/operations/${operation.id}`);
  if (waited !== undefined) response.setHeader('preference-applied', `wait=${waited}`);
  if (accepted.replayed) response.setHeader('idempotent-replayed', 'true');
  return operation;
}

/** The answer of every unified write: the operation as accepted, or — with `Prefer: wait` — as it stands after waiting. */
export async function answerWrite(
  provisioning: Pick<ProvisioningService, 'awaitFinished'>,
  write: UnifiedWriteContext,
  accepted: Accepted,
  response: Response,
): Promise<OperationView> {
  const operation = write.waitSeconds === undefined ? accepted.operation : await provisioning.awaitFinished(write.workspaceId, accepted.operation, write.waitSeconds);
  return sendAccepted(response, accepted, operation, write.waitSeconds);
}
