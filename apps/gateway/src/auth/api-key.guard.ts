import { applyDecorators, CanActivate, ExecutionContext, Inject, Injectable, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Request } from 'express';
import { ApiError } from '@kb4/platform';
import { ApiKeyAuthenticator, apiKeyFingerprint } from './api-key-authenticator';
import { authRejectedOf, bearerTokenOf, keyFingerprintOf, setWorkspaceOf, workspaceOf } from './request-context';
import { ErrorResponseDto } from '../http/error-response.dto';

/** `Authorization: Bearer <api key>` → the key's workspace on the request; 401 in the one error shape otherwise. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(@Inject(ApiKeyAuthenticator) private readonly authenticator: ApiKeyAuthenticator) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request>();
    if (workspaceOf(request)) return true; // ApiKeyMiddleware authenticated it
    const token = bearerTokenOf(request);
    if (!token) throw new ApiError(401, 'missing or malformed Authorization header; send "Authorization: Bearer <api key>"');
    if (authRejectedOf(request)) throw new ApiError(401, 'the API key is not valid or has been revoked');
    const workspaceId = await this.authenticator.workspaceFor(token, keyFingerprintOf(request) ?? apiKeyFingerprint(token));
    if (!workspaceId) throw new ApiError(401, 'the API key is not valid or has been revoked');
    setWorkspaceOf(request, workspaceId);
    return true;
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
