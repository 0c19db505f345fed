import { applyDecorators, CanActivate, ExecutionContext, Inject, Injectable, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Request } from 'express';
import { ApiError } from '@kb4/platform';
import { AdminToken } from './admin-token';
import { bearerTokenOf, principalOf } from './request-context';
import { ErrorResponseDto } from '../http/error-response.dto';

/** OpenAPI security scheme of the operator token (declared in docs/openapi.ts). */
export const ADMIN_SECURITY_SCHEME = 'admin_token';

/**
 * Lets through requests ApiKeyMiddleware authenticated with ADMIN_TOKEN (compared there in constant time, after the
 * failed-authentication limit). Without ADMIN_TOKEN configured every admin route is a 401 that says so.
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  constructor(@Inject(AdminToken) private readonly adminToken: AdminToken) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request>();
    const principal = principalOf(request);
    if (principal?.kind === 'admin') return true;
    if (!this.adminToken.configured) throw new ApiError(401, 'the admin API is disabled on this gateway: ADMIN_TOKEN is not set');
    if (principal) throw new ApiError(403, 'this route needs the operator token (ADMIN_TOKEN), not a workspace API key');
    if (!bearerTokenOf(request)) throw new ApiError(401, 'missing or malformed Authorization header; send "Authorization: Bearer <admin token>"');
    throw new ApiError(401, 'the admin token is not valid');
  }
}

/** Put on a controller of the operator's admin API; documents its security, 401 and 403. */
export function RequiresAdminToken(): ClassDecorator & MethodDecorator {
  return applyDecorators(
    UseGuards(AdminTokenGuard),
    ApiBearerAuth(ADMIN_SECURITY_SCHEME),
    ApiUnauthorizedResponse({ description: 'Missing or wrong admin token, or ADMIN_TOKEN is not set on this gateway', type: ErrorResponseDto }),
    ApiForbiddenResponse({ description: 'A workspace API key was sent; the admin API takes only the operator token', type: ErrorResponseDto }),
  );
}
