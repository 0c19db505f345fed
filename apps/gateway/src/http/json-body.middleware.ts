import { Injectable, NestMiddleware } from '@nestjs/common';
import { raw, type NextFunction, type Request, type Response } from 'express';
import { ApiError } from '@kb4/platform';
import { principalOf } from '../auth/request-context';
import { exceedsJsonDepth, findHostileValue, hostileValueError, JSON_BODY_LIMITS } from './hostile-input';

// SCIM bodies travel through the proxy as application/scim+json
const JSON_TYPES = ['application/json', 'application/*+json'];
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)/i;

const readRawBody = raw({ type: () => true, limit: JSON_BODY_LIMITS.maxBytes, inflate: false });

function hasBody(request: Request): boolean {
  return request.headers['transfer-encoding'] !== undefined || (request.headers['content-length'] !== undefined && request.headers['content-length'] !== '0');
}

/**
 * The gateway's only body parser, mounted after the API key is authenticated (Nest's global parsers are off): a body
 * of an unauthenticated request is never read, and an authenticated one must be UTF-8 JSON within
 * JSON_BODY_LIMITS (size, depth, array and string sizes, no control characters or lone surrogates) before any
 * validation runs. Problems are 400/401/413/415 in the one error shape.
 */
@Injectable()
export class JsonBodyMiddleware implements NestMiddleware {
  use(request: Request, response: Response, next: NextFunction): void {
    if (!hasBody(request)) return next();
    if (!principalOf(request)) {
      // the unread body stays on the socket, so this connection cannot carry another request
      response.setHeader('connection', 'close');
      throw new ApiError(401, 'a request body is read only after authentication; send "Authorization: Bearer <api key>" with a valid key (or the admin token on /admin routes)');
    }
    if (!request.is(JSON_TYPES)) {
      throw new ApiError(415, 'request bodies must be JSON (content-type application/json or application/scim+json)');
    }
    const charset = CHARSET.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase();
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      throw new ApiError(415, `unsupported charset "${charset.slice(0, 40)}"; send UTF-8 JSON`);
    }
    readRawBody(request, response, (error?: unknown) => {
      if (error) return next(error);
      try {
        request.body = parseJsonBody(request.body as Buffer | undefined);
      } catch (parseError) {
        return next(parseError);
      }
      next();
    });
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Bytes → a JSON object or array, refusing what would be expensive or unstorable downstream. */
export function parseJsonBody(bytes: Buffer | undefined): unknown {
  if (!bytes || bytes.length === 0) return {};
  if (exceedsJsonDepth(bytes, JSON_BODY_LIMITS.maxDepth)) {
    throw new ApiError(400, `the JSON body nests arrays/objects deeper than ${JSON_BODY_LIMITS.maxDepth} levels`, [
      { field: '(body)', location: 'body', errors: [`must nest at most ${JSON_BODY_LIMITS.maxDepth} levels`] },
    ]);
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new ApiError(400, 'the request body is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiError(400, 'the request body is not valid JSON');
  }
  if (value === null || typeof value !== 'object') throw new ApiError(400, 'the request body must be a JSON object');
  const hostile = findHostileValue(value);
  if (hostile) throw hostileValueError(hostile, 'body');
  return value;
}
