import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { mountConsole } from './console/console-static';
import { mountOpenApi } from './docs/openapi';
import { GatewayValidationPipe } from './http/validation';

/** Everything main.ts and in-process tests do to a created gateway app before it listens. */
export function configureGatewayApp(app: INestApplication): void {
  const express = app as NestExpressApplication;
  express.disable('x-powered-by');
  // a weak ETag would hash every page body; lists change too often for it to pay off
  express.set('etag', false);
  // no global body parser (bootstrap passes bodyParser: false): JsonBodyMiddleware reads bodies after authentication
  app.useGlobalPipes(new GatewayValidationPipe());
  mountOpenApi(app);
  mountConsole(app);
}
