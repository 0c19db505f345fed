import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { ApiError } from '@kb4/platform';
import { AdminToken } from './admin-token';
import { ApiKeyAuthenticator, apiKeyFingerprint } from './api-key-authenticator';
import { clientAddressOf, FailedAuthLimiter } from './failed-auth-limiter';
import { bearerTokenOf, keyFingerprintOf, setPrincipalOf } from './request-context';

/**
 * Authenticates the bearer token (a workspace API key or the operator's ADMIN_TOKEN) before anything else reads the
 * request (the JSON body parser runs after this), and limits failed authentications per client address. It only
 * records the outcome: routes behind `@RequiresApiKey(scope)` or `@RequiresAdminToken()` answer 401/403 through their
 * guards, so an unknown path stays a 404.
 */
@Injectable()
export class ApiKeyMiddleware implements NestMiddleware {
  constructor(
    @Inject(ApiKeyAuthenticator) private readonly authenticator: ApiKeyAuthenticator,
    @Inject(FailedAuthLimiter) private readonly failures: FailedAuthLimiter,
    @Inject(AdminToken) private readonly adminToken: AdminToken,
  ) {}

  async use(request: Request, response: Response, next: NextFunction): Promise<void> {
    const token = bearerTokenOf(request);
    if (!token) return next();
    const fingerprint = keyFingerprintOf(request) ?? apiKeyFingerprint(token);
    const address = clientAddressOf(request);
    const cached = this.authenticator.cachedKey(fingerprint);
    // a key known to be good still works from an address that is guessing others (a NAT shares addresses)
    if (!cached) {
      const retryAfter = this.failures.retryAfterSeconds(address);
      if (retryAfter > 0) {
        response.setHeader('retry-after', String(retryAfter));
        throw new ApiError(
          429,
          `too many failed authentications from this address (limit ${this.failures.limitPerMinute} per minute); retry in ${retryAfter} s`,
        );
      }
    }
    if (!cached && this.adminToken.matches(token)) {
      setPrincipalOf(request, { kind: 'admin' });
      return next();
    }
    const key = cached === null ? null : await this.authenticator.authenticate(token, fingerprint); // a cached key is only touched
    if (key) setPrincipalOf(request, { kind: 'api-key', ...key });
    else this.failures.recordFailure(address);
    next();
  }
}
