import { timingSafeEqual, createHash } from 'node:crypto';
import { Controller, DynamicModule, Get, Header, Inject, Module, Optional, Req } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request } from 'express';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { ApiError } from '../errors/api-error';

/** One Prometheus registry per process, with Node's default metrics. */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry });

export function setMetricsServiceLabel(service: string): void {
  metricsRegistry.setDefaultLabels({ service });
}

/** Who may scrape `/metrics`: with `METRICS_TOKEN` set, whoever sends it as a bearer token; without, loopback only. */
export interface MetricsAccess {
  token?: string;
}

export const METRICS_ACCESS = Symbol('METRICS_ACCESS');

function isLoopback(address: string | undefined): boolean {
  return address !== undefined && (address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.'));
}

function sameSecret(given: string, expected: string): boolean {
  // hashing first makes the comparison constant-time whatever the lengths
  return timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());
}

/**
 * Throws the 401/403 for a scrape `/metrics` must refuse. Without a token a request from a loopback address is let
 * in unless it was forwarded (a reverse proxy on the same host would otherwise make every client look local).
 */
export function assertMetricsAccess(request: Request, access: MetricsAccess): void {
  if (access.token) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    if (!match || !sameSecret(match[1], access.token)) throw new ApiError(401, 'metrics need "Authorization: Bearer <METRICS_TOKEN>"');
    return;
  }
  const forwarded = request.headers['x-forwarded-for'] !== undefined || request.headers.forwarded !== undefined;
  if (!isLoopback(request.socket.remoteAddress) || forwarded) {
    throw new ApiError(403, 'metrics are served to loopback clients only; set METRICS_TOKEN to scrape from elsewhere');
  }
}

@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  constructor(@Optional() @Inject(METRICS_ACCESS) private readonly access: MetricsAccess = {}) {}

  @Get()
  @Header('content-type', metricsRegistry.contentType)
  async scrape(@Req() request: Request): Promise<string> {
    assertMetricsAccess(request, this.access ?? {});
    return metricsRegistry.metrics();
  }
}

/** `/metrics`; `forConfig` passes METRICS_TOKEN (without it, only loopback clients may scrape). */
@Module({ controllers: [MetricsController] })
export class MetricsModule {
  static forConfig(config: { METRICS_TOKEN?: string }): DynamicModule {
    return { module: MetricsModule, providers: [{ provide: METRICS_ACCESS, useValue: { token: config.METRICS_TOKEN } satisfies MetricsAccess }] };
  }
}
