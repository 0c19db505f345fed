import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { static as serveStatic } from 'express';

/** Where `npm run build:console` (and `npm start`) puts the console's static files. */
export const CONSOLE_BUILD_DIR = resolve(__dirname, '../../../console/dist');

/**
 * The console's page may only load its own files and talk to this gateway; it is never framed (clickjacking), and
 * sends no referrer (its hash holds ids, never a key, but nothing of it needs to leave).
 */
const CONSOLE_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

function withConsoleHeaders(response: Response): void {
  for (const [name, value] of Object.entries(CONSOLE_HEADERS)) response.setHeader(name, value);
}

/**
 * Serves the built console at /console: hashed assets cached for good, the page itself never cached (a new build is
 * picked up at once). Without a build (tests that do not need it, a checkout before `npm start`) /console says how to
 * build it; the API does not depend on it.
 */
export function mountConsole(app: INestApplication, buildDir = CONSOLE_BUILD_DIR): void {
  const express = app as NestExpressApplication;
  const index = join(buildDir, 'index.html');
  express.use('/console', (request: Request, response: Response, next: NextFunction) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return next();
    withConsoleHeaders(response);
    if (!existsSync(index)) {
      response.status(503).type('text/plain').send('The console is not built. Run `npm run build:console` (npm start builds it when missing).\n');
      return;
    }
    if (!request.originalUrl.startsWith('/console/')) return response.redirect(308, '/console/');
    if (request.path.startsWith('/assets/')) return next();
    response.setHeader('cache-control', 'no-cache');
    response.sendFile(index);
  });
  express.use('/console/assets', serveStatic(join(buildDir, 'assets'), { immutable: true, maxAge: '365d', index: false, fallthrough: false }));
}
