import { STATUS_CODES } from 'node:http';
import type { HeaderObject, OpenAPIObject, OperationObject, ReferenceObject, ResponseObject, SchemaObject } from '@nestjs/swagger';

/**
 * What holds for every route because a middleware, not the route, does it (gateway.module.ts: rate limit, API key,
 * JSON body on every path but the probes), added to each operation of the generated document — so a new route is
 * documented the same way without copying decorators. What a route itself can answer (404, 409, 422) stays on it.
 */

const ERROR_SCHEMA = { $ref: '#/components/schemas/ErrorResponseDto' } as const;
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'] as const;

/** Paths the middleware chain skips (gateway.module.ts excludes health/{*rest} and metrics). */
export function isProbe(path: string): boolean {
  return path.startsWith('/health/') || path === '/metrics';
}

const HEADERS: Record<string, HeaderObject> = {
  'ratelimit-limit': { description: 'Requests per minute allowed for this API key (per client address without one)', schema: { type: 'integer', example: 600 } },
  'ratelimit-remaining': { description: 'Requests left in the current window', schema: { type: 'integer', example: 599 } },
  'ratelimit-reset': { description: 'Seconds until the window refills', schema: { type: 'integer', example: 42 } },
  'retry-after': { description: 'Seconds to wait before retrying', schema: { type: 'integer', example: 42 } },
};

const RATE_LIMIT_HEADERS = ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset'];

function headerRefs(names: string[]): Record<string, ReferenceObject> {
  return Object.fromEntries(names.map((name) => [name, { $ref: `#/components/headers/${name}` }]));
}

function errorResponse(description: string, headers: string[] = RATE_LIMIT_HEADERS): ResponseObject {
  return { description, headers: headerRefs(headers), content: { 'application/json': { schema: ERROR_SCHEMA } } };
}

const MALFORMED_INPUT =
  'Malformed input: an unknown or invalid query or path parameter, a body that is not a UTF-8 JSON object or breaks a ' +
  'field rule, or a control character / lone surrogate anywhere; `details` names each field';
const TOO_MANY =
  'Rate limited: the API key\'s requests per minute (API_RATE_LIMIT_PER_MINUTE) are spent, or — without a valid key — ' +
  'the client address failed authentication too often (AUTH_FAILURE_LIMIT_PER_MINUTE). A route that calls KnowBe4 also ' +
  'answers 429 when the account\'s KnowBe4 budget has no slot (`truto_error_insight: rate_limit_error`). Retry after `retry-after` seconds';
const UNSUPPORTED_BODY = 'The body is not JSON (`application/json`, or `application/scim+json` through the proxy) or not UTF-8';
const UNAUTHENTICATED = 'Missing, malformed or revoked credentials (`Authorization: Bearer …`)';

/** Adds `response` under `status` unless the route documented that status itself. */
function ensureResponse(operation: OperationObject, status: string, response: ResponseObject): void {
  operation.responses[status] ??= response;
}

/** Nest adds an empty `201` to every POST without @HttpCode; a write that answers 202 (or 200 after waiting) never sends it. */
function dropDefaultCreated(operation: OperationObject): void {
  const created = operation.responses['201'] as ResponseObject | undefined;
  if (created && !created.description && !created.content && operation.responses['202']) delete operation.responses['201'];
}

/** A response the route gave no description (Nest leaves '') is described by its status' reason phrase. */
function describeResponses(operation: OperationObject): void {
  for (const [status, response] of Object.entries(operation.responses) as Array<[string, ResponseObject | ReferenceObject]>) {
    if (!('$ref' in response) && !response.description) response.description = STATUS_CODES[Number(status)] ?? status;
  }
}

function applyToOperation(path: string, operation: OperationObject): void {
  // a route without its own requirement is public (probes): say so explicitly, as the spec asks
  operation.security ??= [];
  dropDefaultCreated(operation);
  describeResponses(operation);
  if (isProbe(path)) return;
  ensureResponse(operation, '400', errorResponse(MALFORMED_INPUT));
  if (operation.security.length > 0) ensureResponse(operation, '401', errorResponse(UNAUTHENTICATED));
  if (operation.requestBody) ensureResponse(operation, '415', errorResponse(UNSUPPORTED_BODY));
  ensureResponse(operation, '429', errorResponse(TOO_MANY, [...RATE_LIMIT_HEADERS, 'retry-after']));
  for (const response of Object.values(operation.responses) as Array<ResponseObject | ReferenceObject>) {
    if ('$ref' in response) continue;
    // "Rate-limit headers on every response" (design.md), wherever the route did not list its own
    response.headers = { ...headerRefs(RATE_LIMIT_HEADERS), ...response.headers };
  }
}

/** Each operation of the document: a route, its method and the operation object. */
export function operationsOf(document: Pick<OpenAPIObject, 'paths'>): Array<{ path: string; method: string; operation: OperationObject }> {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    HTTP_METHODS.filter((method) => item[method]).map((method) => ({ path, method, operation: item[method] as OperationObject })),
  );
}

/** A request body schema's example, composed from its properties' examples as Swagger UI's "Example Value" does. */
export function sampleOf(schema: SchemaObject | ReferenceObject, schemas: Record<string, SchemaObject | ReferenceObject>, depth = 0): unknown {
  if ('$ref' in schema) return sampleOf(schemas[schema.$ref.split('/').pop() as string], schemas, depth + 1);
  if (depth > 8) return undefined;
  if (schema.example !== undefined) return schema.example;
  if (schema.allOf?.length === 1) return sampleOf(schema.allOf[0], schemas, depth + 1);
  if (schema.type === 'array' && schema.items) {
    const item = sampleOf(schema.items, schemas, depth + 1);
    return item === undefined ? undefined : [item];
  }
  if (!schema.properties) return schema.default ?? schema.enum?.[0];
  const entries = Object.entries(schema.properties)
    .filter(([, property]) => !('readOnly' in property && property.readOnly))
    .map(([name, property]) => [name, sampleOf(property, schemas, depth + 1)] as const)
    .filter(([, value]) => value !== undefined);
  return Object.fromEntries(entries);
}

/** Gives every request body schema an explicit example: the body Swagger UI's "Try it out" starts from. */
function addRequestExamples(document: OpenAPIObject): void {
  const schemas = document.components?.schemas ?? {};
  for (const { operation } of operationsOf(document)) {
    const body = operation.requestBody;
    if (!body || '$ref' in body) continue;
    for (const media of Object.values(body.content)) {
      const ref = media.schema && '$ref' in media.schema ? media.schema.$ref.split('/').pop() : undefined;
      const schema = ref ? schemas[ref] : undefined;
      if (!schema || '$ref' in schema || schema.example !== undefined || !schema.properties) continue;
      schema.example = sampleOf(schema, schemas);
    }
  }
}

/** The middleware-wide answers and headers on every operation, explicit `security`, and request body examples. */
export function applyGatewayConventions(document: OpenAPIObject): OpenAPIObject {
  document.components ??= {};
  document.components.headers = { ...HEADERS, ...document.components.headers };
  for (const { path, operation } of operationsOf(document)) applyToOperation(path, operation);
  addRequestExamples(document);
  return document;
}
