import { scimPatch, ScimError as PatchLibraryError, type ScimPatchOperation, type ScimResource } from 'scim-patch';
import { checkResource } from './scim-attribute-types';
import { ScimError, type ScimType } from './scim-errors';
import { attributeName, resolvePath, type ResolvedPath } from './scim-paths';
import { PATCH_OP, type ResourceKind } from './scim-schemas';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** scim-patch's own error codes, passed on where RFC 7644 §3.12 has the same name. */
const LIBRARY_CODES: readonly ScimType[] = ['noTarget', 'invalidPath', 'invalidSyntax', 'invalidValue', 'invalidFilter'];

export function patchLibraryError(error: unknown): ScimError | undefined {
  if (!(error instanceof PatchLibraryError)) return undefined;
  const code = LIBRARY_CODES.find((c) => c === error.scimCode) ?? 'invalidValue';
  return new ScimError(400, error.message || `Invalid PATCH operation (${code})`, code);
}

interface CheckedOperation {
  op: ScimPatchOperation;
  target?: ResolvedPath;
}

/**
 * RFC 7644 §3.5.2: each operation must fit the attribute's mutability — a readOnly attribute cannot be changed, a
 * required one cannot be removed (§3.5.2.2), an immutable one cannot be replaced — else `400 mutability`.
 */
function checkMutability(kind: ResourceKind, op: string, target: ResolvedPath): void {
  const attribute = target.sub ?? target.attribute;
  if (!attribute || !target.attribute) return;
  const name = attributeName(target);
  if (target.attribute.mutability === 'readOnly' || attribute.mutability === 'readOnly')
    throw new ScimError(400, `Attribute '${name}' is readOnly`, 'mutability');
  if (op === 'remove' && attribute.required && !target.filter)
    throw new ScimError(400, `Attribute '${name}' is required by the ${kind} schema and cannot be removed`, 'mutability');
  if (op === 'replace' && attribute.mutability === 'immutable') throw new ScimError(400, `Attribute '${name}' is immutable`, 'mutability');
}

/** Parses a PatchOp message (RFC 7644 §3.5.2) and resolves every path against the declared schemas. */
export function patchOperations(kind: ResourceKind, body: unknown): CheckedOperation[] {
  if (!isObject(body) || !Array.isArray(body.schemas) || !body.schemas.includes(PATCH_OP) || !Array.isArray(body.Operations))
    throw new ScimError(400, 'PATCH body must be a PatchOp message with Operations', 'invalidSyntax');
  if (body.Operations.length === 0) throw new ScimError(400, 'Operations must not be empty', 'invalidSyntax');
  return body.Operations.flatMap((raw: unknown, index: number): CheckedOperation[] => {
    if (!isObject(raw)) throw new ScimError(400, `Operations[${index}] must be an object`, 'invalidSyntax');
    const kindOfOp = (typeof raw.op === 'string' ? raw.op : '').toLowerCase();
    if (kindOfOp !== 'add' && kindOfOp !== 'replace' && kindOfOp !== 'remove')
      throw new ScimError(400, `Operations[${index}].op ${JSON.stringify(raw.op)} is not add, replace or remove`, 'invalidSyntax');
    if (raw.path !== undefined && typeof raw.path !== 'string') throw new ScimError(400, `Operations[${index}].path must be a string`, 'invalidPath');
    if (kindOfOp === 'remove' && !raw.path) throw new ScimError(400, `Operations[${index}]: remove requires a path`, 'noTarget');
    if (kindOfOp !== 'remove' && !('value' in raw)) throw new ScimError(400, `Operations[${index}]: ${kindOfOp} requires a value`, 'invalidSyntax');
    if (!raw.path) {
      if (!isObject(raw.value)) throw new ScimError(400, `Operations[${index}]: ${kindOfOp} without a path needs an object value`, 'invalidValue');
      return pathlessOperations(kind, kindOfOp === 'add' ? 'add' : 'replace', raw.value);
    }
    const target = resolvePath(kind, raw.path);
    checkMutability(kind, kindOfOp, target);
    if (kindOfOp === 'remove' && Array.isArray(raw.value)) return removalsByValue(target, raw.value);
    return [{ op: { ...raw, op: kindOfOp, path: target.canonical }, target }];
  });
}

/**
 * An add or replace without a path names its attributes in the value (RFC 7644 §3.5.2.1, §3.5.2.3): one operation
 * per attribute, extension objects opened up. As in POST and PUT, readOnly and undeclared attributes are ignored.
 */
function pathlessOperations(kind: ResourceKind, op: 'add' | 'replace', value: Json, prefix = ''): CheckedOperation[] {
  return Object.entries(value).flatMap(([key, item]): CheckedOperation[] => {
    if (!prefix && key === 'schemas') return [];
    let target: ResolvedPath;
    try {
      target = resolvePath(kind, `${prefix}${key}`);
    } catch {
      return [];
    }
    if (!target.attribute) return isObject(item) ? pathlessOperations(kind, op, item, `${target.schema}:`) : [];
    if (target.attribute.mutability === 'readOnly') return [];
    return [{ op: { op, path: target.canonical, value: item }, target }];
  });
}

/** `remove` of a multi-valued attribute with a value list (as Entra ID sends it) removes those values, matched by `value`. */
function removalsByValue(target: ResolvedPath, values: unknown[]): CheckedOperation[] {
  if (!target.attribute?.multiValued || target.filter || target.sub)
    throw new ScimError(400, `A remove with a value needs a multi-valued attribute path; got '${target.raw}'`, 'invalidPath');
  return values.map((item) => {
    if (!isObject(item) || typeof item.value !== 'string')
      throw new ScimError(400, `Attribute '${target.attribute!.name}.value' of a removed value must be a string; got ${JSON.stringify(item)}`, 'invalidValue');
    return { op: { op: 'remove', path: `${target.canonical}[value eq ${JSON.stringify(item.value)}]` }, target: { ...target, filter: 'value' } };
  });
}

/** Removing through a filter from an attribute that has no value removes nothing (and is no error). */
function removesFromNothing(resource: Json, { op, target }: CheckedOperation): boolean {
  if (op.op !== 'remove' || !target?.filter || !target.attribute) return false;
  const holder = target.extension ? resource[target.schema] : resource;
  return !isObject(holder) || !Array.isArray(holder[target.attribute.name]);
}

/**
 * Applies the operations to a copy of `resource` and type-checks the result against the schemas; on any error
 * nothing is applied — PATCH is atomic (RFC 7644 §3.5.2).
 */
export function patchedResource(kind: ResourceKind, resource: Json, operations: CheckedOperation[]): Json {
  let next = structuredClone(resource) as unknown as ScimResource;
  for (const operation of operations) {
    if (removesFromNothing(next as unknown as Json, operation)) continue;
    try {
      next = scimPatch(next, [operation.op], { mutateDocument: true, treatMissingAsAdd: true });
    } catch (error) {
      throw patchLibraryError(error) ?? error;
    }
  }
  const result = next as unknown as Json;
  checkResource(kind, result, { requireRequired: true });
  return result;
}
