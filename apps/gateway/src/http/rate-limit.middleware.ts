import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { ApiError } from '@kb4/platform';
import { apiKeyFingerprint } from '../auth/api-key-authenticator';
import { bearerTokenOf, setKeyFingerprintOf } from '../auth/request-context';
import { GatewayConfig } from '../config/gateway.config';
import { TokenBuckets } from './token-bucket';

/**
 * Truto-style `ratelimit-limit|remaining|reset` headers on every response, from a per-API-key token bucket
 * (per client address when no key is sent); 429 in the one error shape when the bucket is empty.
 */
@Injectable()
export class RateLimitMiddleware implements NestMiddleware {
  private readonly buckets: TokenBuckets;

  constructor(@Inject(GatewayConfig) config: GatewayConfig) {
    this.buckets = new TokenBuckets(config.API_RATE_LIMIT_PER_MINUTE);
  }

  use(request: Request, response: Response, next: NextFunction): void {
    const token = bearerTokenOf(request);
    let key: string;
    if (token) {
      const fingerprint = apiKeyFingerprint(token);
      setKeyFingerprintOf(request, fingerprint);
      key = fingerprint;
    } else {
      key = `addr:${request.socket.remoteAddress ?? 'unknown'}`;
    }
    const result = this.buckets.take(key);
    response.setHeader('ratelimit-limit', String(result.limit));
    response.setHeader('ratelimit-remaining', String(result.remaining));
    response.setHeader('ratelimit-reset', String(result.resetSeconds));
    if (!result.allowed) {
      response.setHeader('retry-after', String(result.resetSeconds));
      // thrown, not next(err): Nest routes middleware throws through the global filter (the one error shape)
      throw new ApiError(429, `rate limit of ${result.limit} requests per minute for this API key exceeded; retry in ${result.resetSeconds} s`);
    }
    next();
  }
}
