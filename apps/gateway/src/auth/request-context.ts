import type { Request } from 'express';
import type { ApiKeyScope } from './scopes';

/** Who a request authenticated as: a workspace API key (with its scopes) or the operator's ADMIN_TOKEN. */
export type Principal = { kind: 'api-key'; keyId: string; workspaceId: string; scopes: readonly ApiKeyScope[] } | { kind: 'admin' };

const PRINCIPAL = Symbol('principal');
const KEY_FINGERPRINT = Symbol('api-key-fingerprint');

interface Tagged {
  [PRINCIPAL]?: Principal;
  [KEY_FINGERPRINT]?: string;
}

/** The bearer token of a request, or undefined when the header is absent or not a Bearer credential. */
export function bearerTokenOf(request: Request): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string' || header.length > 512) return undefined;
  const match = /^Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i.exec(header);
  return match?.[1];
}

export function setPrincipalOf(request: Request, principal: Principal): void {
  (request as Request & Tagged)[PRINCIPAL] = principal;
}

export function principalOf(request: Request): Principal | undefined {
  return (request as Request & Tagged)[PRINCIPAL];
}

/** The workspace of the request's API key; undefined for the admin token and unauthenticated requests. */
export function workspaceOf(request: Request): string | undefined {
  const principal = principalOf(request);
  return principal?.kind === 'api-key' ? principal.workspaceId : undefined;
}

/** Computed once by the rate limiter and reused by the authentication middleware. */
export function setKeyFingerprintOf(request: Request, fingerprint: string): void {
  (request as Request & Tagged)[KEY_FINGERPRINT] = fingerprint;
}

export function keyFingerprintOf(request: Request): string | undefined {
  return (request as Request & Tagged)[KEY_FINGERPRINT];
}
