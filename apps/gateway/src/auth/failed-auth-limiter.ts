import { isIPv6 } from 'node:net';
import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { Counter } from 'prom-client';
import { metricsRegistry } from '@kb4/platform';
import { GatewayConfig } from '../config/gateway.config';
import { TokenBuckets } from '../http/token-bucket';

const authFailures = new Counter({
  name: 'kb4_gateway_auth_failures_total',
  help: 'Requests with an API key that did not authenticate: rejected (looked up, unknown or revoked) or throttled (429 before any lookup)',
  labelNames: ['outcome'] as const,
  registers: [metricsRegistry],
});

/** Expands an IPv6 address and keeps its /64: one host usually owns a whole /64, so it must count as one client. */
function ipv6Prefix64(address: string): string {
  const [head, tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = address.includes('::') && tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...left, ...new Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/** The client a failure is counted against: the socket's IPv4 address, or the /64 of an IPv6 one. */
export function clientAddressOf(request: Request): string {
  const address = request.socket.remoteAddress ?? 'unknown';
  if (address.startsWith('::ffff:') && !isIPv6(address.slice(7))) return address.slice(7); // IPv4-mapped
  return isIPv6(address) && !address.includes('.') ? ipv6Prefix64(address) : address;
}

/**
 * Failed authentications per client address (AUTH_FAILURE_LIMIT_PER_MINUTE, a token bucket): past the limit an
 * address gets 429 before its key is looked up, so guessing keys costs neither a Postgres query nor a hash compare.
 */
@Injectable()
export class FailedAuthLimiter {
  private readonly failures: TokenBuckets;

  constructor(@Inject(GatewayConfig) config: GatewayConfig) {
    this.failures = new TokenBuckets(config.AUTH_FAILURE_LIMIT_PER_MINUTE);
  }

  get limitPerMinute(): number {
    return this.failures.limit;
  }

  /** Seconds this address must wait before its next unknown key is looked up; 0 when it may try now. */
  retryAfterSeconds(address: string): number {
    const wait = this.failures.waitSeconds(address);
    if (wait > 0) authFailures.inc({ outcome: 'throttled' });
    return wait;
  }

  recordFailure(address: string): void {
    authFailures.inc({ outcome: 'rejected' });
    this.failures.take(address);
  }
}
