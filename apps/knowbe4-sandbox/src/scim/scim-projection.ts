import { ScimError } from './scim-errors';
import { resolvePath, type ResolvedPath } from './scim-paths';
import { RESOURCE_SCHEMAS, SCHEMA_ATTRIBUTES, type ResourceKind } from './scim-schemas';

/**
 * RFC 7644 §3.4.2.5 / §3.9 `attributes` and `excludedAttributes`: which attributes a response carries. Attributes
 * declared `returned: always` (id) and `schemas` are always there.
 */
type Json = Record<string, unknown>;
export type Projection = (resource: Json) => Json;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const listOf = (raw: unknown, name: string): string[] | undefined => {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw new ScimError(400, `${name} must be given once`, 'invalidSyntax');
  const items = raw.split(',').map((item) => item.trim()).filter(Boolean);
  return items.length > 0 ? items : undefined;
};

function alwaysReturned(kind: ResourceKind, resource: Json): Json {
  const kept: Json = { schemas: resource.schemas };
  for (const spec of SCHEMA_ATTRIBUTES[RESOURCE_SCHEMAS[kind].core]) if (spec.returned === 'always' && spec.name in resource) kept[spec.name] = resource[spec.name];
  return kept;
}

/** Copies the part of `from` that `path` names into `into`. */
function copyPath(path: ResolvedPath, from: Json, into: Json): void {
  if (!path.attribute) {
    if (isObject(from[path.schema])) into[path.schema] = from[path.schema];
    return;
  }
  const source = path.extension ? from[path.schema] : from;
  if (!isObject(source) || !(path.attribute.name in source)) return;
  const target = path.extension ? ((into[path.schema] as Json | undefined) ?? (into[path.schema] = {})) : into;
  const value = source[path.attribute.name];
  const { sub } = path;
  if (!sub) target[path.attribute.name] = value;
  else if (Array.isArray(value)) {
    const previous = Array.isArray(target[path.attribute.name]) ? (target[path.attribute.name] as Json[]) : value.map(() => ({}));
    target[path.attribute.name] = value.map((item: unknown, i) => (isObject(item) && sub.name in item ? { ...previous[i], [sub.name]: item[sub.name] } : previous[i]));
  } else if (isObject(value) && sub.name in value) {
    target[path.attribute.name] = { ...(target[path.attribute.name] as Json | undefined), [sub.name]: value[sub.name] };
  }
}

/** Deletes the part of `resource` that `path` names, unless it is always returned. */
function dropPath(path: ResolvedPath, resource: Json): void {
  if (!path.attribute) return void delete resource[path.schema];
  if (path.attribute.returned === 'always' || path.sub?.returned === 'always') return;
  const holder = path.extension ? resource[path.schema] : resource;
  if (!isObject(holder)) return;
  const { sub } = path;
  const value = holder[path.attribute.name];
  if (!sub) {
    delete holder[path.attribute.name];
  } else if (Array.isArray(value)) {
    for (const item of value) if (isObject(item)) delete item[sub.name];
  } else if (isObject(value)) {
    delete value[sub.name];
  }
}

/** Names the schemas do not declare select nothing (RFC 7644 leaves them undefined; KnowBe4 ignores what it lacks). */
function resolvedList(kind: ResourceKind, items: string[] | undefined): ResolvedPath[] | undefined {
  return items?.flatMap((item) => {
    try {
      return [resolvePath(kind, item, false)];
    } catch {
      return [];
    }
  });
}

/** The projection a request's query asks for; without either parameter, the resource as it is. */
export function projectionOf(kind: ResourceKind, query: Json): Projection {
  const attributes = resolvedList(kind, listOf(query.attributes, 'attributes'));
  const excluded = resolvedList(kind, listOf(query.excludedAttributes, 'excludedAttributes'));
  if (attributes) {
    return (resource) => {
      const kept = alwaysReturned(kind, resource);
      for (const path of attributes) copyPath(path, resource, kept);
      return kept;
    };
  }
  if (excluded) {
    return (resource) => {
      const copy = structuredClone(resource);
      for (const path of excluded) dropPath(path, copy);
      return copy;
    };
  }
  return (resource) => resource;
}

/** Whether a projection leaves `members` out, so the Group need not even be rendered with them. */
export function excludesMembers(query: Json): boolean {
  const excluded = listOf(query.excludedAttributes, 'excludedAttributes') ?? [];
  const attributes = listOf(query.attributes, 'attributes');
  const named = (list: string[]) => list.some((p) => p.toLowerCase().replace(/^urn:ietf:params:scim:schemas:core:2\.0:group:/, '').split('.')[0] === 'members');
  return named(excluded) || (attributes !== undefined && !named(attributes));
}
