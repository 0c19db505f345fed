import type { Request } from 'express';

const WORKSPACE = Symbol('workspace-id');
const KEY_FINGERPRINT = Symbol('api-key-fingerprint');

type Tagged = Record<symbol, string | undefined>;

/** The bearer token of a request, or undefined when the header is absent or not a Bearer credential. */
export function bearerTokenOf(request: Request): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string' || header.length > 512) return undefined;
  const match = /^Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i.exec(header);
  return match?.[1];
}

export function setWorkspaceOf(request: Request, workspaceId: string): void {
  (request as unknown as Tagged)[WORKSPACE] = workspaceId;
}

export function workspaceOf(request: Request): string | undefined {
  return (request as unknown as Tagged)[WORKSPACE];
}

/** Computed once by the rate limiter and reused by the guard. */
export function setKeyFingerprintOf(request: Request, fingerprint: string): void {
  (request as unknown as Tagged)[KEY_FINGERPRINT] = fingerprint;
}

export function keyFingerprintOf(request: Request): string | undefined {
  return (request as unknown as Tagged)[KEY_FINGERPRINT];
}
