import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

const REQUEST_ID = Symbol('request-id');
const VALID_INBOUND_ID = /^[A-Za-z0-9._-]{8,128}$/;

/** Gives every request a correlation id (the caller's x-request-id when it is sane) and echoes it back. */
export function requestIdMiddleware(request: Request, response: Response, next: NextFunction): void {
  const inbound = request.header('x-request-id');
  const id = inbound && VALID_INBOUND_ID.test(inbound) ? inbound : randomUUID();
  (request as unknown as Record<symbol, string>)[REQUEST_ID] = id;
  response.setHeader('x-request-id', id);
  next();
}

export function requestIdOf(request: Request): string {
  return (request as unknown as Record<symbol, string | undefined>)[REQUEST_ID] ?? randomUUID();
}
