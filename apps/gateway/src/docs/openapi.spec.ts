import { readFileSync } from 'node:fs';
import type { OpenAPIObject, ReferenceObject, ResponseObject, SchemaObject } from '@nestjs/swagger';
import { generateOpenApiJson, OPENAPI_PATH } from './generate-openapi';
import { isProbe, operationsOf } from './openapi-conventions';

let generated: Promise<OpenAPIObject> | undefined;
function document(): Promise<OpenAPIObject> {
  generated ??= generateOpenApiJson().then((json) => JSON.parse(json) as OpenAPIObject);
  return generated;
}

const isRef = (value: object): value is ReferenceObject => '$ref' in value;

describe('openapi.json', () => {
  it('matches what the gateway generates (run `npm run openapi` and commit the result when this fails)', async () => {
    expect(JSON.parse(readFileSync(OPENAPI_PATH, 'utf8'))).toEqual(await document());
  });

  // libs/client's types are compared with openapi.json in test/openapi/client-types.spec.ts (openapi-typescript is ESM)

  it('gives every operation a unique operationId, a declared tag with a description and a summary', async () => {
    const spec = await document();
    const operations = operationsOf(spec).map(({ operation }) => operation);
    const ids = operations.map((operation) => operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    const described = new Set((spec.tags ?? []).filter((tag) => tag.description).map((tag) => tag.name));
    for (const operation of operations) {
      expect(operation.operationId).toMatch(/^[a-z_]+$/);
      expect(operation.tags?.length).toBeGreaterThan(0);
      expect(operation.tags?.filter((tag) => !described.has(tag))).toEqual([]);
      expect(operation.summary).toEqual(expect.any(String));
    }
  });

  it('declares security on every operation (an empty list on public probes) and documents the errors in the one shape', async () => {
    for (const { path, method, operation } of operationsOf(await document())) {
      const where = `${method.toUpperCase()} ${path}`;
      expect({ where, security: Array.isArray(operation.security) }).toEqual({ where, security: true });
      const statuses = Object.keys(operation.responses);
      const undescribed = statuses.filter((status) => !(operation.responses[status] as ResponseObject).description);
      expect({ where, undescribed }).toEqual({ where, undescribed: [] });
      if (isProbe(path)) continue;
      const expected = ['400', '429', ...(operation.security?.length ? ['401'] : []), ...(operation.requestBody ? ['415'] : [])];
      expect({ where, missing: expected.filter((status) => !statuses.includes(status)) }).toEqual({ where, missing: [] });
      for (const status of statuses.filter((s) => /^[45]/.test(s))) {
        const response = operation.responses[status] as ResponseObject;
        expect({ where, status, schema: response.content?.['application/json']?.schema }).toEqual({ where, status, schema: { $ref: '#/components/schemas/ErrorResponseDto' } });
      }
      expect(Object.keys((operation.responses['429'] as ResponseObject).headers ?? {})).toContain('retry-after');
      // Nest's default 201 beside a write's 202 would promise a status the route never sends
      if (statuses.includes('202') && statuses.includes('201')) expect((operation.responses['201'] as ResponseObject).description).not.toBe('');
    }
  });

  it('describes every parameter and gives it a typed schema', async () => {
    const undocumented = operationsOf(await document()).flatMap(({ path, method, operation }) =>
      (operation.parameters ?? [])
        .filter((parameter) => !isRef(parameter))
        .filter((parameter) => {
          const schema = (parameter as { schema?: SchemaObject & { $ref?: string } }).schema;
          return !(parameter as { description?: string }).description || !(schema?.type || schema?.enum || schema?.$ref);
        })
        .map((parameter) => `${method.toUpperCase()} ${path} ${(parameter as { name: string }).name}`),
    );
    expect(undocumented).toEqual([]);
  });

  it('gives every request body a schema with properties and an example that names only those properties', async () => {
    const spec = await document();
    const schemas = spec.components?.schemas ?? {};
    const bodies = operationsOf(spec).filter(({ operation }) => operation.requestBody);
    expect(bodies.length).toBeGreaterThan(5);
    for (const { path, method, operation } of bodies) {
      const where = `${method.toUpperCase()} ${path}`;
      const body = operation.requestBody as { content: Record<string, { schema?: SchemaObject | ReferenceObject }> };
      for (const media of Object.values(body.content)) {
        const schema = media.schema && isRef(media.schema) ? (schemas[media.schema.$ref.split('/').pop() as string] as SchemaObject) : media.schema;
        expect({ where, properties: Object.keys(schema?.properties ?? {}).length > 0 }).toEqual({ where, properties: true });
        expect({ where, example: typeof schema?.example }).toEqual({ where, example: 'object' });
        const unknown = Object.keys(schema?.example as object).filter((key) => !(key in (schema?.properties ?? {})));
        expect({ where, unknown }).toEqual({ where, unknown: [] });
      }
    }
  });
});
