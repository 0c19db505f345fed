import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { OpenApiDocument, SpecOperation } from './openapi-walk';

type Json = Record<string, unknown>;

/** OpenAPI 3.0 schema → JSON Schema: `nullable: true` becomes "or null"; refs point into the registered document. */
function toJsonSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toJsonSchema);
  if (schema === null || typeof schema !== 'object') return schema;
  const { nullable, ...rest } = schema as Json;
  const converted: Json = {};
  for (const [key, value] of Object.entries(rest)) {
    if (key === '$ref' && typeof value === 'string') converted.$ref = value.replace('#/components/', 'openapi#/components/');
    else if (key === 'example') continue;
    else if (key === 'properties' && value && typeof value === 'object') converted.properties = Object.fromEntries(Object.entries(value).map(([name, property]) => [name, toJsonSchema(property)]));
    else converted[key] = toJsonSchema(value);
  }
  return nullable === true ? { anyOf: [converted, { type: 'null' }] } : converted;
}

/**
 * Validators for each documented JSON answer of each operation, by operationId and status: what a client generated
 * from openapi.json expects, checked against what the gateway really sent.
 */
export function responseValidators(spec: OpenApiDocument): (operation: SpecOperation, status: number) => ValidateFunction | undefined {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'openapi', components: toJsonSchema((spec as unknown as { components: unknown }).components) });
  const cache = new Map<string, ValidateFunction | undefined>();
  return (operation, status) => {
    const key = `${operation.operationId} ${status}`;
    if (!cache.has(key)) {
      const response = operation.responses[String(status)] as { content?: Record<string, { schema?: unknown }> } | undefined;
      const schema = response?.content?.['application/json']?.schema;
      cache.set(key, schema === undefined ? undefined : ajv.compile(toJsonSchema(schema) as object));
    }
    return cache.get(key);
  };
}
