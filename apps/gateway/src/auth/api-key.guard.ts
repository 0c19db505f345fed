import { applyDecorators, CanActivate, ExecutionContext, Injectable, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Request } from 'express';
import { ApiError } from '@kb4/platform';
import { bearerTokenOf, workspaceOf } from './request-context';
import { ErrorResponseDto } from '../http/error-response.dto';

/**
 * Answers for what ApiKeyMiddleware found (it authenticates every request but health and metrics before the body is
 * read, with the failed-authentication limit): the key's workspace, or 401 in the one error shape.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request>();
    if (workspaceOf(request)) return true;
    if (!bearerTokenOf(request)) throw new ApiError(401, 'missing or malformed Authorization header; send "Authorization: Bearer <api key>"');
    throw new ApiError(401, 'the API key is not valid or has been revoked');
  }
}

/** Put on a controller (or handler) that needs a workspace API key; documents the 401 in OpenAPI. */
export function RequiresApiKey(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    UseGuards(ApiKeyGuard),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'Missing, malformed or revoked API key', type: ErrorResponseDto }),
  );
}
