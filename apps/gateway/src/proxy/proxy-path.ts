import { ApiError } from '@kb4/platform';

export type ProxySurface = 'reporting' | 'scim';

export interface ProxyTarget {
  accountId: string;
  surface: ProxySurface;
  /** Path below the surface's base URL, starting with '/'. */
  path: string;
  query: Record<string, string>;
}

const MAX_PATH = 1024;
const MAX_QUERY_PARAMS = 50;
// RFC 3986 pchar without '%': percent-encoding is never needed for KnowBe4 paths, and refusing it closes every
// encoded-dot, encoded-slash and double-encoding trick at once.
const SEGMENT = /^[A-Za-z0-9._~:@!$&'()*+,;=-]+$/;
const PREFIX = /^\/proxy\/([^/?#]+)\/(reporting|scim)(\/[^?#]*)?$/;

function refuse(message: string): ApiError {
  return new ApiError(400, `proxy path refused: ${message}`);
}

/**
 * Parses `/proxy/{account}/{reporting|scim}/{path}?{query}` from the raw request URL (before any decoding) and
 * refuses anything that could leave the account's base URL: dot segments, empty segments, percent-encoding,
 * backslashes, schemes or hosts.
 */
export function parseProxyUrl(originalUrl: string): ProxyTarget {
  const queryAt = originalUrl.indexOf('?');
  const rawPath = queryAt === -1 ? originalUrl : originalUrl.slice(0, queryAt);
  const rawQuery = queryAt === -1 ? '' : originalUrl.slice(queryAt + 1);
  const match = PREFIX.exec(rawPath);
  if (!match) throw refuse('expected /proxy/{integrated_account_id}/reporting/{path} or /scim/{path}');
  const [, accountId, surface, rest = ''] = match;
  if (rest.length > MAX_PATH) throw refuse('path is too long');
  const segments = rest === '' || rest === '/' ? [] : rest.slice(1).split('/');
  for (const segment of segments) {
    if (segment === '') throw refuse('empty path segment');
    if (segment === '.' || segment === '..') throw refuse('dot segments are not allowed');
    if (!SEGMENT.test(segment)) throw refuse('path segments may only contain unreserved characters (no percent-encoding, backslashes or spaces)');
  }
  if (segments.length === 0) throw refuse('a KnowBe4 path is required after the surface');
  return { accountId, surface: surface as ProxySurface, path: `/${segments.join('/')}`, query: parseQuery(rawQuery) };
}

// No KnowBe4 parameter holds a control character; NUL or CR/LF here can only be an attack on something downstream.
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

function parseQuery(raw: string): Record<string, string> {
  // no prototype: `constructor`, `toString` and `__proto__` are ordinary parameter names here
  const query = Object.create(null) as Record<string, string>;
  if (raw === '') return query;
  let params: URLSearchParams;
  try {
    params = new URLSearchParams(raw);
  } catch {
    throw refuse('malformed query string');
  }
  let count = 0;
  for (const [key, value] of params) {
    if (++count > MAX_QUERY_PARAMS) throw refuse('too many query parameters');
    if (key === '' || key.length > 100 || value.length > 1000) throw refuse('query parameter too long or empty');
    if (Object.hasOwn(query, key)) throw refuse(`query parameter "${key.slice(0, 50)}" is repeated`);
    if (CONTROL_CHARACTER.test(key) || CONTROL_CHARACTER.test(value)) {
      const field = key.replace(CONTROL_CHARACTER, '?').slice(0, 50);
      throw new ApiError(400, `proxy query parameter "${field}" contains a control character`, [
        { field, location: 'query', errors: ['must not contain control characters (NUL, CR, LF, …)'] },
      ]);
    }
    query[key] = value;
  }
  return query;
}
