import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { RequestHandler } from 'express';
import { FaultInjector } from './faults/fault-injector';
import { createKb4Gate, regionRouting } from './http/kb4-gate';
import { ResponseTime, type ResponseTimeProfile } from './http/response-time';
import { MalformedJsonError, readJsonBody } from './http/json-body';
import { SurfaceNotFoundFilter } from './http/not-found.filter';
import { RateLimiter } from './rate-limit/rate-limiter';
import { SandboxModule } from './sandbox.module';
import { SandboxStore, type CreateTenantOptions, type TenantCredentials } from './store/sandbox-store';
import type { RateLimitProfile } from './store/tenant-store';

export type { CreateTenantOptions, TenantCredentials } from './store/sandbox-store';
export type { RateLimitProfile } from './store/tenant-store';
export { SandboxStore } from './store/sandbox-store';

export interface StartSandboxOptions {
  port?: number;
  host?: string;
  logger?: boolean;
  /** Rate-limit profile for tenants that do not choose one. */
  rateLimitProfile?: RateLimitProfile;
  /** `recorded` answers after KnowBe4's recorded server time (median ≈ 200 ms); `off` (default) at once. */
  responseTime?: ResponseTimeProfile;
  /** Compresses every rate window and the daily window (fleet benchmarks; the poller gets the same TIME_SCALE). */
  timeScale?: number;
  /** Fleet tenants (`registerLazyTenant`) kept in memory at most; others are seeded again when asked for. */
  maxLiveTenants?: number;
  /** A fleet tenant used this recently is never dropped (a request may be on its way to it); default 2 s. */
  idleMs?: number;
  /** Fleet mode: MB of deflated directory list pages kept for unchanged tenants (0: none). */
  pageCacheMb?: number;
}

export interface RunningSandbox {
  url: string;
  store: SandboxStore;
  faults: FaultInjector;
  limiter: RateLimiter;
  responseTime: ResponseTime;
  createTenant(opts?: CreateTenantOptions): TenantCredentials;
  /** A fleet tenant: registered now, seeded on its first request, dropped again when idle (see README, Fleet mode). */
  registerLazyTenant(opts?: CreateTenantOptions): TenantCredentials;
  close(): Promise<void>;
}

/** Parses admin request bodies (Nest's own body parser is off so SCIM can answer bad JSON in SCIM's shape). */
const adminBody: RequestHandler = (req, res, next) => {
  if (!req.path.startsWith('/_sandbox')) return next();
  readJsonBody(req)
    .then((body) => {
      (req as { body?: unknown }).body = body ?? {};
      next();
    })
    .catch((error: unknown) => {
      if (error instanceof MalformedJsonError) res.status(400).json({ statusCode: 400, error: 'Bad Request', message: error.message });
      else next(error);
    });
};

/** Starts the emulator in-process; port 0 picks a free port and `url` reports the real one. */
export async function startSandbox(opts: StartSandboxOptions = {}): Promise<RunningSandbox> {
  const store = new SandboxStore({
    rateLimitProfile: opts.rateLimitProfile ?? 'documented',
    maxLiveTenants: opts.maxLiveTenants,
    idleMs: opts.idleMs,
    pageCacheBytes: (opts.pageCacheMb ?? 0) * 1024 * 1024,
  });
  const limiter = new RateLimiter(Date.now, opts.timeScale ?? 1);
  const faults = new FaultInjector();
  const responseTime = new ResponseTime(opts.responseTime ?? 'off');
  const app = await NestFactory.create<NestExpressApplication>(SandboxModule.register({ store, limiter, faults, responseTime }), {
    bodyParser: false,
    logger: opts.logger ? ['log', 'warn', 'error'] : false,
  });
  app.disable('x-powered-by');
  app.use(regionRouting);
  app.use(createKb4Gate({ store, limiter, faults, responseTime }));
  app.use(adminBody);
  app.useGlobalFilters(new SurfaceNotFoundFilter());
  const host = opts.host ?? '127.0.0.1';
  await app.listen(opts.port ?? 0, host);
  const address = app.getHttpServer().address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  store.baseUrl = `http://${urlHost}:${address.port}`;
  return {
    url: store.baseUrl,
    store,
    faults,
    limiter,
    responseTime,
    createTenant: (tenantOpts = {}) => store.credentials(store.createTenant(tenantOpts)),
    registerLazyTenant: (tenantOpts = {}) => store.registerLazyTenant(tenantOpts),
    close: () => app.close(),
  };
}
