import { ScimError } from './scim-errors';
import { RESOURCE_SCHEMAS, SCHEMA_ATTRIBUTES, type AttributeSpec, type ResourceKind } from './scim-schemas';

/**
 * An attribute path (RFC 7644 §3.10: `[urn:…:]attr[\[filter\]][.sub]`) resolved against the declared schemas, with
 * attribute names in their declared case so the rest of the code can use them as JSON keys.
 */
export interface ResolvedPath {
  /** The schema URN the attribute belongs to. */
  schema: string;
  /** Whether the schema is an extension (its attributes live under the URN key). */
  extension: boolean;
  /** Undefined when the path names a whole extension schema. */
  attribute?: AttributeSpec;
  filter?: string;
  sub?: AttributeSpec;
  /** The path rewritten with declared names; core URN prefix dropped. */
  canonical: string;
  /** For messages: the path as the client wrote it. */
  raw: string;
}

const ATTR_PATH = /^([A-Za-z$][\w$-]*)(?:\[(.*)\])?(?:\.([A-Za-z$][\w$-]*))?$/s;

const byName = (specs: readonly AttributeSpec[] | undefined, name: string): AttributeSpec | undefined =>
  specs?.find((spec) => spec.name.toLowerCase() === name.toLowerCase());

function schemaOf(kind: ResourceKind, path: string): { schema: string; extension: boolean; rest: string } {
  const { core, extensions } = RESOURCE_SCHEMAS[kind];
  if (!path.toLowerCase().startsWith('urn:')) return { schema: core, extension: false, rest: path };
  for (const schema of [core, ...extensions]) {
    const prefix = schema.toLowerCase();
    const lower = path.toLowerCase();
    if (lower === prefix) return { schema, extension: schema !== core, rest: '' };
    if (lower.startsWith(`${prefix}:`)) return { schema, extension: schema !== core, rest: path.slice(schema.length + 1) };
  }
  throw new ScimError(400, `Path '${path}' names no schema of the ${kind} resource`, 'invalidPath');
}

/** Resolves `path`; an attribute or sub-attribute the schemas do not declare is `400 invalidPath`. */
export function resolvePath(kind: ResourceKind, path: string, allowFilter = true): ResolvedPath {
  const { schema, extension, rest } = schemaOf(kind, path.trim());
  if (rest === '') {
    if (!extension) throw new ScimError(400, `Path '${path}' names no attribute`, 'invalidPath');
    return { schema, extension, canonical: schema, raw: path };
  }
  const match = ATTR_PATH.exec(rest);
  if (!match || (match[2] !== undefined && !allowFilter)) throw new ScimError(400, `Path '${path}' is not a valid attribute path`, 'invalidPath');
  const [, name, filter, subName] = match;
  const attribute = byName(SCHEMA_ATTRIBUTES[schema], name);
  if (!attribute) throw new ScimError(400, `Attribute '${name}' is not defined in schema ${schema}`, 'invalidPath');
  if (filter !== undefined && !attribute.multiValued)
    throw new ScimError(400, `Attribute '${attribute.name}' is single-valued; a value filter needs a multi-valued attribute`, 'invalidPath');
  const sub = subName === undefined ? undefined : byName(attribute.subAttributes, subName);
  if (subName !== undefined && !sub) throw new ScimError(400, `Attribute '${attribute.name}' has no sub-attribute '${subName}'`, 'invalidPath');
  const canonical = `${extension ? `${schema}:` : ''}${attribute.name}${filter !== undefined ? `[${filter}]` : ''}${sub ? `.${sub.name}` : ''}`;
  return { schema, extension, attribute, filter, sub, canonical, raw: path };
}

/** The declared name a path ends in, for messages: `name.givenName`, `urn:…:User:department`. */
export const attributeName = (p: ResolvedPath): string => p.canonical.replace(/\[.*\]/s, '');
