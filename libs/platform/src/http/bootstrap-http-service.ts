import { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { ApiExceptionFilter } from '../errors/api-exception.filter';
import { PinoNestLogger } from '../logging/logger';
import { setMetricsServiceLabel } from '../metrics/metrics';
import { requestIdMiddleware } from './request-id.middleware';

export interface HttpServiceOptions {
  service: string;
  module: Type<unknown> | DynamicModule;
  port: number;
  host?: string;
  logger: Logger;
  /** Nest's global JSON and urlencoded parsers (default on); off when the service reads bodies itself. */
  bodyParser?: boolean;
  configure?: (app: INestApplication) => void | Promise<void>;
}

/** Creates a NestJS HTTP service with the shared logger, error shape, request ids and clean shutdown. */
export async function bootstrapHttpService(options: HttpServiceOptions): Promise<INestApplication> {
  setMetricsServiceLabel(options.service);
  const app = await NestFactory.create(options.module, {
    logger: new PinoNestLogger(options.logger),
    bufferLogs: false,
    bodyParser: options.bodyParser ?? true,
  });
  app.use(requestIdMiddleware);
  app.useGlobalFilters(new ApiExceptionFilter(options.logger));
  app.enableShutdownHooks();
  await options.configure?.(app);
  // Node's 5 s keep-alive closes idle sockets often enough that a client reusing one at that moment gets ECONNRESET
  // under load; keep them longer than clients and load balancers do (60 s), and the header timeout above it.
  const server = app.getHttpServer() as Server;
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await app.listen(options.port, options.host ?? '127.0.0.1');
  const url = await app.getUrl();
  options.logger.info({ url: url.replace('[::1]', 'localhost') }, `${options.service} listening`);
  return app;
}
