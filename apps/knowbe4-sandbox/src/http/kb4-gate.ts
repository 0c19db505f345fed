import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { FaultInjector } from '../faults/fault-injector';
import type { RateLimiter, Surface } from '../rate-limit/rate-limiter';
import type { ResponseTime } from './response-time';
import { isRegion, type Region } from '../store/records';
import type { SandboxStore, TenantRef } from '../store/sandbox-store';
import { sendScimError } from '../scim/scim-errors';
import { readJsonBody, MalformedJsonError } from './json-body';
import { regionOf, setContext, setRegion } from './request-context';

const REGION_PREFIX = /^\/(us|eu|ca|uk|de)(\/(?:v1|scim\/v2)(?:[/?].*)?)$/;
const HOST_REGION = /^(us|eu|ca|uk|de)\.api\.knowbe4\.com(?::\d+)?$/i;

/**
 * Strips `/{region}` from `/{region}/v1/...` and `/{region}/scim/v2/...` so one set of routes serves every region;
 * plain `/v1/...` takes its region from a `{region}.api.knowbe4.com` Host header (us otherwise).
 */
export const regionRouting: RequestHandler = (req, _res, next) => {
  const match = REGION_PREFIX.exec(req.url);
  if (match) {
    setRegion(req, match[1] as Region);
    req.url = match[2];
  } else {
    const host = HOST_REGION.exec(req.headers.host ?? '');
    setRegion(req, host && isRegion(host[1].toLowerCase()) ? (host[1].toLowerCase() as Region) : 'us');
  }
  next();
};

const surfaceOf = (path: string): Surface | undefined =>
  path === '/v1' || path.startsWith('/v1/') ? 'reporting' : path === '/scim/v2' || path.startsWith('/scim/v2/') ? 'scim' : undefined;

const bearer = (req: Request): string | undefined => {
  const header = req.headers.authorization;
  const match = header ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
  return match?.[1];
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Sends a Reporting-style JSON error body. */
export function sendReportingError(res: Response, status: number, message: string): void {
  res.status(status).type('application/json; charset=utf-8').send(JSON.stringify({ message }));
}

/**
 * Everything a KnowBe4 request meets before a controller: real-traffic headers, auth, response time, injected
 * faults, rate limits and (SCIM) body parsing, in that order.
 */
export function createKb4Gate(deps: { store: SandboxStore; limiter: RateLimiter; faults: FaultInjector; responseTime: ResponseTime }): RequestHandler {
  const handle = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const surface = surfaceOf(req.path);
    if (!surface) return next();
    decorateResponse(res);
    const token = bearer(req);
    const region = regionOf(req);
    // a Reporting request seeds a fleet tenant only when its handler needs the store (not for a cached page)
    const scimTenant = surface === 'scim' ? deps.store.byScimBearer(token ?? '') : undefined;
    const tenant: TenantRef | undefined = surface === 'reporting' ? deps.store.reportingRef(token ?? '') : scimTenant && { id: scimTenant.id, options: scimTenant.options, stamp: () => undefined, userCount: () => scimTenant.userCount(), store: () => scimTenant };
    if (surface === 'reporting' && (!tenant || tenant.options.region !== region))
      // A key from another region is indistinguishable from a bad key, as on KnowBe4.
      return sendReportingError(res, 401, 'Invalid Token');
    if (!tenant) return sendScimError(res, 401, 'Authentication failed: invalid or missing bearer token');
    setContext(req, {
      region: surface === 'reporting' ? region : tenant.options.region,
      get tenant() {
        return tenant.store();
      },
      ref: tenant,
      pageCache: deps.store.pageCache,
    });
    const fault = deps.faults.decide(req.method, req.path, tenant.id);
    // KnowBe4's own server time (when the profile asks for it) plus any injected latency; x-runtime includes both.
    const delayMs = deps.responseTime.nextDelayMs() + fault.latencyMs;
    if (delayMs > 0) await sleep(delayMs);
    if (fault.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    if (fault.kind === 'error') {
      if (surface === 'scim') return sendScimError(res, fault.status, `Injected fault ${fault.status}`);
      return sendReportingError(res, fault.status, fault.status === 429 ? 'API rate limit exceeded' : 'Internal Server Error');
    }
    const decision = deps.limiter.take(tenant, surface);
    for (const [name, value] of Object.entries(decision.headers)) res.setHeader(name, value);
    if (!decision.allowed) {
      // KnowBe4 sends no Retry-After; clients must back off on their own.
      if (surface === 'scim') return sendScimError(res, 429, 'Too many requests');
      return sendReportingError(res, 429, 'API rate limit exceeded');
    }
    if (surface === 'scim') {
      try {
        (req as { body?: unknown }).body = await readJsonBody(req);
      } catch (error) {
        if (error instanceof MalformedJsonError) return sendScimError(res, 400, error.message, 'invalidSyntax');
        throw error;
      }
    }
    next();
  };
  return (req, res, next) => {
    handle(req, res, next).catch(next);
  };
}

/** Headers seen on real KnowBe4 responses; x-runtime is stamped when the head is written. */
function decorateResponse(res: Response): void {
  const started = process.hrtime.bigint();
  res.setHeader('x-request-id', randomUUID());
  res.setHeader('cache-control', 'no-cache, no-store');
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => Response;
  (res as { writeHead: (...args: unknown[]) => Response }).writeHead = (...args: unknown[]) => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (!res.headersSent) res.setHeader('x-runtime', seconds.toFixed(6));
    return writeHead(...args);
  };
}
