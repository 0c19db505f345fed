import type { FaultInjector } from '../faults/fault-injector';
import type { ResponseTime } from '../http/response-time';
import type { RateLimiter } from '../rate-limit/rate-limiter';
import type { SandboxStore } from '../store/sandbox-store';

/** Injection token for the sandbox's shared state. */
export const SANDBOX_DEPS = Symbol('SANDBOX_DEPS');

export interface SandboxDeps {
  store: SandboxStore;
  limiter: RateLimiter;
  faults: FaultInjector;
  responseTime: ResponseTime;
}
