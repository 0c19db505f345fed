import { applyDecorators, CanActivate, ExecutionContext, Inject, Injectable, SetMetadata, UseGuards } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Request } from 'express';
import { ApiError } from '@kb4/platform';
import { bearerTokenOf, principalOf } from './request-context';
import type { ApiKeyScope } from './scopes';
import { ErrorResponseDto } from '../http/error-response.dto';

const REQUIRED_SCOPE = 'kb4:required-api-key-scope';

/**
 * Answers for what ApiKeyMiddleware found (it authenticates every request but health and metrics before the body is
 * read, with the failed-authentication limit): 401 without a valid key, 403 when the key lacks the route's scope (the
 * handler's `@RequiresApiKey(scope)` overrides its controller's), both in the one error shape.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(@Inject(Reflector) private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request>();
    const principal = principalOf(request);
    if (!principal) {
      if (!bearerTokenOf(request)) throw new ApiError(401, 'missing or malformed Authorization header; send "Authorization: Bearer <api key>"');
      throw new ApiError(401, 'the API key is not valid or has been revoked');
    }
    if (principal.kind !== 'api-key') throw new ApiError(403, 'the admin token cannot call workspace routes; use an API key of the workspace');
    const scope = this.reflector.getAllAndOverride<ApiKeyScope | undefined>(REQUIRED_SCOPE, [context.getHandler(), context.getClass()]);
    if (scope && !principal.scopes.includes(scope)) {
      throw new ApiError(403, `the API key lacks the "${scope}" scope this route needs (it has: ${principal.scopes.join(', ') || 'none'})`);
    }
    return true;
  }
}

const SWAGGER_SECURITY = 'swagger/apiSecurity'; // @nestjs/swagger's DECORATORS.API_SECURITY

/**
 * Put on a controller (or handler, which then overrides the controller's scope) that needs a workspace API key with
 * `scope`; documents the bearer security, the 401 and the 403 in OpenAPI.
 */
export function RequiresApiKey(scope: ApiKeyScope): MethodDecorator & ClassDecorator {
  const common = applyDecorators(
    SetMetadata(REQUIRED_SCOPE, scope),
    UseGuards(ApiKeyGuard),
    ApiUnauthorizedResponse({ description: 'Missing, malformed or revoked API key', type: ErrorResponseDto }),
    ApiForbiddenResponse({ description: `The API key lacks the \`${scope}\` scope`, type: ErrorResponseDto }),
  );
  return (target: object, key?: string | symbol, descriptor?: PropertyDescriptor): void => {
    if (key !== undefined && descriptor) {
      common(target, key, descriptor);
      ApiBearerAuth()(target, key, descriptor);
      return;
    }
    common(target as () => void);
    // the security goes on each handler that has none yet (its own @RequiresApiKey ran first), so none lists it twice
    const prototype = (target as { prototype: object }).prototype;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const method = Object.getOwnPropertyDescriptor(prototype, name);
      if (name === 'constructor' || typeof method?.value !== 'function') continue;
      if (!Reflect.getMetadata(SWAGGER_SECURITY, method.value as object)) ApiBearerAuth()(prototype, name, method);
    }
  };
}
