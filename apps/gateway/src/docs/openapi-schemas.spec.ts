import type { OpenAPIObject, ReferenceObject, SchemaObject } from '@nestjs/swagger';
import { generateOpenApiJson } from './generate-openapi';

type Schema = SchemaObject | ReferenceObject;

const isRef = (schema: Schema): schema is ReferenceObject => '$ref' in schema;

/** A property whose shape another schema describes (a $ref, an object with properties, an array of those). */
function isComposite(property: SchemaObject): boolean {
  if (property.allOf || property.properties || property.oneOf?.every(isRef)) return true;
  if (property.type === 'array' && property.items) return isRef(property.items) || isComposite(property.items);
  return false;
}

/** What Swagger UI and a generated client need from each property: a type, a realistic example and the right format. */
function problemsOf(name: string, property: Schema): string[] {
  if (isRef(property) || isComposite(property)) return [];
  const problems: string[] = [];
  const typedBranches = (branches?: Schema[]): boolean => branches?.every((branch) => isRef(branch) || branch.type !== undefined) ?? false;
  if (!property.type && !typedBranches(property.oneOf) && !typedBranches(property.anyOf)) problems.push('no type');
  // secrets are write-only and have no meaningful example (an example key would be sent by "Try it out")
  if (property.example === undefined && !property.writeOnly) problems.push('no example');
  if (/_at$/.test(name) && property.format !== 'date-time') problems.push('not format date-time');
  if (/(^|_)url$/.test(name) && property.format !== 'uri') problems.push('not format uri');
  if (/(^|_)email$/.test(name) && property.format !== 'email') problems.push('not format email');
  return problems;
}

describe('openapi.json schemas', () => {
  let schemas: Record<string, Schema>;

  beforeAll(async () => {
    schemas = (JSON.parse(await generateOpenApiJson()) as OpenAPIObject).components?.schemas ?? {};
  });

  it('gives every property of every request and response body a type, an example and its format (uuid, date-time, email, uri)', () => {
    const problems = Object.entries(schemas).flatMap(([schemaName, schema]) =>
      isRef(schema)
        ? []
        : Object.entries(schema.properties ?? {}).flatMap(([name, property]) => problemsOf(name, property).map((problem) => `${schemaName}.${name}: ${problem}`)),
    );
    expect(problems).toEqual([]);
  });

  it('lists the required properties of every object schema that has any', () => {
    const objects = Object.entries(schemas).filter(([, schema]) => !isRef(schema) && schema.properties);
    expect(objects.length).toBeGreaterThan(10);
    // a request schema may have only optional fields (PATCH); every response schema says what is always there
    const responses = objects.filter(([name]) => /Dto$/.test(name) && !/^(Update|Create)/.test(name));
    expect(responses.filter(([, schema]) => !(schema as SchemaObject).required?.length).map(([name]) => name)).toEqual([]);
  });
});
