import { applyDecorators, createParamDecorator, ExecutionContext } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { ApiError } from '@kb4/platform';
import { RequiresApiKey } from '../auth/api-key.guard';
import { workspaceOf } from '../auth/request-context';
import { ErrorResponseDto } from '../http/error-response.dto';
import { OperationDto } from './operation.dto';
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
 * The write context of a route behind `@RequiresApiKey('directory:write')`. The headers it reads are documented on the controllers
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

export const IDEMPOTENCY_HEADER = {
  name: 'Idempotency-Key',
  required: false,
  description: 'The same key with the same request returns the same operation; with another request → 422',
};
/** The path ids of the unified writes, as the read routes document them. */
export const USER_ID_PARAM = { name: 'id', type: String, description: 'Unified id (KnowBe4 Reporting id) or SCIM id of the user', example: '2147483690' };
export const GROUP_ID_PARAM = { name: 'id', type: String, description: 'Unified id (KnowBe4 Reporting id) or SCIM id of the group', example: '41' };
export const MEMBER_ID_PARAM = { name: 'user_id', type: String, description: 'Unified id (KnowBe4 Reporting id) or SCIM id of the member', example: '2147483690' };

export const PREFER_HEADER = { name: 'Prefer', required: false, description: '`wait=N` (N ≤ 30): answer 200 with the finished operation if it finishes within N seconds' };

/**
 * What a controller of unified writes declares once: API key, the headers `@UnifiedWrite()` reads, and the answers
 * every write shares (202 with the operation; 400, 404 and 422 in the one error shape).
 */
export function UnifiedWriteRoutes(describe: { badRequest: string; notFound: string }): ClassDecorator {
  return applyDecorators(
    ApiTags('unified-user-directory'),
    RequiresApiKey('directory:write'),
    // listed Prefer first in the spec, as the controllers' stacked decorators did
    ApiHeader(PREFER_HEADER),
    ApiHeader(IDEMPOTENCY_HEADER),
    ApiAcceptedResponse({ description: 'Accepted; poll GET /operations/{id}', type: OperationDto }),
    ApiBadRequestResponse({ description: describe.badRequest, type: ErrorResponseDto }),
    ApiNotFoundResponse({ description: describe.notFound, type: ErrorResponseDto }),
    ApiUnprocessableEntityResponse({ description: 'Idempotency-Key reused with a different request', type: ErrorResponseDto }),
  );
}
