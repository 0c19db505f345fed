import { getMetadataStorage, ValidationTypes, type ValidationArguments } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';

/** The class-validator options a compiled check stands in for (the ones the gateway's pipe and validateDto use). */
export interface CompiledCheckOptions {
  /** whitelist + forbidNonWhitelisted: a property without validation metadata is an error. */
  forbidNonWhitelisted: boolean;
  /** An object whose class has no validation metadata at all is an error. */
  forbidUnknownValues: boolean;
}

/** True when class-validator would find no error in the instance; false means "ask class-validator" (it names the errors). */
export type CompiledCheck = (instance: object) => boolean;

type PropertyCheck = (object: Record<string, unknown>) => boolean;
/** A DTO class, as class-validator's metadata storage keys it. */
type DtoClass = abstract new (...args: never[]) => unknown;
type CheckCache = Map<DtoClass, CompiledCheck | null>;

interface ConstraintRunner {
  metadata: ValidationMetadata;
  validate: (value: unknown, args: ValidationArguments) => unknown;
}

const storage = getMetadataStorage();
const caches = new Map<string, CheckCache>();

const isCollection = (value: unknown): boolean => Array.isArray(value) || value instanceof Set || value instanceof Map;

/**
 * A DTO's class-validator metadata compiled once into plain closures: the same constraints, run by class-validator's own
 * constraint instances in the order and with the skips its ValidationExecutor applies (conditional validations such as
 * IsOptional, `each`, nested objects and arrays, whitelisting), but without its per-call metadata lookups, error
 * objects and promises. It only ever answers "valid"; anything it cannot decide (an async constraint, a Set or Map,
 * a nested value of a class without metadata) answers false, so the caller falls back to class-validator, which
 * produces the exact error tree. Null when the class cannot be compiled at all.
 */
export function compiledCheck(target: DtoClass, options: CompiledCheckOptions): CompiledCheck | null {
  const key = `${options.forbidNonWhitelisted}:${options.forbidUnknownValues}`;
  let cache = caches.get(key);
  if (!cache) caches.set(key, (cache = new Map<DtoClass, CompiledCheck | null>()));
  if (cache.has(target)) return cache.get(target)!;
  cache.set(target, null); // a class nesting itself is decided at run time through the cache
  const compiled = compile(target, options, cache);
  cache.set(target, compiled);
  return compiled;
}

function compile(target: DtoClass, options: CompiledCheckOptions, cache: CheckCache): CompiledCheck | null {
  const metadatas = storage.getTargetValidationMetadatas(target, '', false, false, undefined);
  if (metadatas.length === 0) return options.forbidUnknownValues ? null : options.forbidNonWhitelisted ? (object) => Object.keys(object).length === 0 : () => true;
  const grouped = storage.groupByPropertyName(metadatas);
  const known = new Set(Object.keys(grouped));
  const checks: PropertyCheck[] = [];
  for (const [property, group] of Object.entries(grouped)) {
    const check = compileProperty(property, group, options, cache);
    if (!check) return null;
    checks.push(check);
  }
  return (instance) => {
    const object = instance as Record<string, unknown>;
    if (options.forbidNonWhitelisted) for (const property of Object.keys(object)) if (!known.has(property)) return false;
    for (const check of checks) if (!check(object)) return false;
    return true;
  };
}

function runnersOf(metadatas: ValidationMetadata[]): ConstraintRunner[] | null {
  const runners: ConstraintRunner[] = [];
  for (const metadata of metadatas) {
    for (const constraint of storage.getTargetValidatorConstraints(metadata.constraintCls)) {
      if (constraint.async) return null;
      const instance = constraint.instance as { validate: ConstraintRunner['validate'] };
      runners.push({ metadata, validate: (value, args) => instance.validate(value, args) });
    }
  }
  return runners;
}

function compileProperty(property: string, group: ValidationMetadata[], options: CompiledCheckOptions, cache: CheckCache): PropertyCheck | null {
  if (group.some((metadata) => metadata.type === ValidationTypes.PROMISE_VALIDATION)) return null;
  const conditions = group.filter((metadata) => metadata.type === ValidationTypes.CONDITIONAL_VALIDATION);
  const defined = runnersOf(group.filter((metadata) => metadata.type === ValidationTypes.IS_DEFINED));
  const custom = runnersOf(group.filter((metadata) => metadata.type === ValidationTypes.CUSTOM_VALIDATION));
  const nested = group.filter((metadata) => metadata.type === ValidationTypes.NESTED_VALIDATION);
  if (!defined || !custom) return null;
  const runners = [...defined, ...custom];
  const nestedCheck = nested.length > 0 ? (value: unknown): boolean => nestedValid(value, options, cache) : undefined;
  return (object) => {
    const value = object[property];
    for (const condition of conditions) if (!(condition.constraints[0] as (o: object, v: unknown) => boolean)(object, value)) return true;
    for (const { metadata, validate } of runners) {
      if (metadata.validateIf && !metadata.validateIf(object, value)) continue;
      const args: ValidationArguments = { targetName: object.constructor?.name, property: metadata.propertyName, object, value, constraints: metadata.constraints };
      if (metadata.each && isCollection(value)) {
        if (!Array.isArray(value)) return false;
        for (const item of value) if (validate(item, args) !== true) return false;
      } else if (validate(value, args) !== true) {
        return false;
      }
    }
    return nestedCheck === undefined || value === undefined || nestedCheck(value);
  };
}

/** A nested value as ValidationExecutor.nestedValidations walks it: arrays element by element, objects by their own class. */
function nestedValid(value: unknown, options: CompiledCheckOptions, cache: CheckCache): boolean {
  if (Array.isArray(value)) return value.every((item) => nestedValid(item, options, cache));
  if (value instanceof Set || value instanceof Map || !(value instanceof Object)) return false;
  const check = compiledCheck(value.constructor as DtoClass, options);
  return check !== null && check(value);
}
