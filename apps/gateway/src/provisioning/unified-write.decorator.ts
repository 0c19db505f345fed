import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { ApiError } from '@kb4/platform';
import { workspaceOf } from '../auth/request-context';
import { preferredWaitSeconds } from './operation-view';

/** What every unified write reads from its request besides the body and the account: who, where, and how to answer. */
export interface UnifiedWriteContext {
  workspaceId: string;
  /** The request path, recorded with the operation. */
  path: string;
  /** `Idempotency-Key`, validated by the service. */
  idempotencyKey: string | undefined;
  /** `Prefer: wait=N` (N ≤ 30), when sent. */
  waitSeconds: number | undefined;
}

function singleHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

/**
 * The write context of a route behind `@RequiresApiKey()`. The headers it reads are documented on the controllers
 * (`@ApiHeader(IDEMPOTENCY_HEADER)`, `@ApiHeader(PREFER_HEADER)`).
 */
export const UnifiedWrite = createParamDecorator((_data: unknown, context: ExecutionContext): UnifiedWriteContext => {
  const request = context.switchToHttp().getRequest<Request>();
  const workspaceId = workspaceOf(request);
  if (!workspaceId) throw new ApiError(401, 'this route needs an API key');
  return {
    workspaceId,
    path: request.path,
    idempotencyKey: singleHeader(request.headers['idempotency-key']),
    waitSeconds: preferredWaitSeconds(request.headers.prefer),
  };
});
