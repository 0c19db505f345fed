import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { ApiError } from '@kb4/platform';
import { ApiKeyAuthenticator, apiKeyFingerprint } from './api-key-authenticator';
import { clientAddressOf, FailedAuthLimiter } from './failed-auth-limiter';
import { bearerTokenOf, keyFingerprintOf, setWorkspaceOf } from './request-context';

/**
 * Authenticates the bearer key before anything else reads the request (the JSON body parser runs after this), and
 * limits failed authentications per client address. It only records the outcome: routes behind
 * `@RequiresApiKey()` answer 401 through `ApiKeyGuard`, so an unknown path stays a 404.
 */
@Injectable()
export class ApiKeyMiddleware implements NestMiddleware {
  constructor(
    @Inject(ApiKeyAuthenticator) private readonly authenticator: ApiKeyAuthenticator,
    @Inject(FailedAuthLimiter) private readonly failures: FailedAuthLimiter,
  ) {}

  async use(request: Request, response: Response, next: NextFunction): Promise<void> {
    const token = bearerTokenOf(request);
    if (!token) return next();
    const fingerprint = keyFingerprintOf(request) ?? apiKeyFingerprint(token);
    const address = clientAddressOf(request);
    const cached = this.authenticator.cachedWorkspace(fingerprint);
    // a key known to be good still works from an address that is guessing others (a NAT shares addresses)
    if (typeof cached !== 'string') {
      const retryAfter = this.failures.retryAfterSeconds(address);
      if (retryAfter > 0) {
        response.setHeader('retry-after', String(retryAfter));
        throw new ApiError(
          429,
          `too many failed authentications from this address (limit ${this.failures.limitPerMinute} per minute); retry in ${retryAfter} s`,
        );
      }
    }
    const workspaceId = cached === undefined ? await this.authenticator.workspaceFor(token, fingerprint) : cached;
    if (workspaceId) setWorkspaceOf(request, workspaceId);
    else this.failures.recordFailure(address);
    next();
  }
}
