import { ScimError } from './scim-errors';
import { RESOURCE_SCHEMAS, SCHEMA_ATTRIBUTES, type AttributeSpec, type ResourceKind } from './scim-schemas';

/**
 * Type checks of SCIM request bodies, driven only by the attribute declarations /Schemas serves (RFC 7643 §2.3 types,
 * §2.2 characteristics): a value that does not fit its declared type is `400 invalidValue` naming the attribute
 * (RFC 7644 §3.12). Unknown attributes are ignored, as KnowBe4 ignores what it does not store.
 */
type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

// xsd:dateTime (RFC 7643 §2.3.5): date, 'T', time with optional fraction, optional zone
const XSD_DATE_TIME = /^(-?\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;
const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function validDate(year: string, month: string, day: string): boolean {
  const m = Number(month);
  const d = Number(day);
  if (m < 1 || m > 12 || d < 1) return false;
  const days = new Date(Date.UTC(Number(year), m, 0)).getUTCDate();
  return d <= days;
}

/** xsd:dateTime, or KnowBe4's own calendar-date form (YYYY-MM-DD) that custom dates are kept in. */
export function isScimDateTime(value: string): boolean {
  const full = XSD_DATE_TIME.exec(value);
  if (full) {
    const [, y, mo, d, h, mi, s] = full;
    return validDate(y, mo, d) && Number(h) < 24 && Number(mi) < 60 && Number(s) < 60;
  }
  const dateOnly = CALENDAR_DATE.exec(value);
  return dateOnly !== null && validDate(dateOnly[1], dateOnly[2], dateOnly[3]);
}

/** IdPs (Entra ID among them) send booleans as "True"/"False" strings; KnowBe4 accepts them, so the sandbox does too. */
export function scimBoolean(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  return undefined;
}

const describe = (value: unknown): string => {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
};
const invalid = (path: string, expected: string, value: unknown): ScimError =>
  new ScimError(400, `Attribute '${path}' must be ${expected}; got ${describe(value)}`, 'invalidValue');

const SIMPLE_TYPES: Record<Exclude<AttributeSpec['type'], 'complex'>, [string, (v: unknown) => boolean]> = {
  string: ['a string', (v) => typeof v === 'string'],
  boolean: ['a boolean', (v) => scimBoolean(v) !== undefined],
  decimal: ['a decimal number', (v) => typeof v === 'number' && Number.isFinite(v)],
  integer: ['an integer', (v) => typeof v === 'number' && Number.isSafeInteger(v)],
  dateTime: ['an xsd:dateTime (e.g. 2024-03-01T00:00:00Z) or a date YYYY-MM-DD', (v) => typeof v === 'string' && isScimDateTime(v)],
  binary: ['base64 binary', (v) => typeof v === 'string' && BASE64.test(v)],
  reference: ['a URI reference (string)', (v) => typeof v === 'string' && v !== ''],
};

export interface CheckOptions {
  /** POST and PUT: required attributes must be present (RFC 7643 §2.4). */
  requireRequired: boolean;
}

/** The attribute key of `obj` that names `spec` (attribute names are case-insensitive, RFC 7643 §2.1). */
export function keyFor(obj: Json, name: string): string | undefined {
  if (name in obj) return name;
  const lower = name.toLowerCase();
  return Object.keys(obj).find((key) => key.toLowerCase() === lower);
}

function checkSingle(spec: AttributeSpec, value: unknown, path: string, options: CheckOptions): void {
  if (spec.type === 'complex') {
    if (!isObject(value)) throw invalid(path, 'a complex value (JSON object)', value);
    checkAttributes(spec.subAttributes ?? [], value, `${path}.`, options);
    return;
  }
  const [expected, fits] = SIMPLE_TYPES[spec.type];
  if (!fits(value)) throw invalid(path, expected, value);
}

/** One attribute's value against its declaration; null means unassigned (RFC 7643 §2.5) and always fits. */
export function checkValue(spec: AttributeSpec, value: unknown, path: string, options: CheckOptions): void {
  if (value === null || value === undefined) return;
  if (spec.multiValued) {
    if (!Array.isArray(value)) throw invalid(path, 'multi-valued (a JSON array)', value);
    value.forEach((item, index) => {
      if (item === null) throw invalid(`${path}[${index}]`, 'a value (null inside a multi-valued attribute)', item);
      checkSingle(spec, item, `${path}[${index}]`, options);
    });
    return;
  }
  if (Array.isArray(value)) throw invalid(path, 'single-valued', value);
  checkSingle(spec, value, path, options);
}

function checkAttributes(specs: readonly AttributeSpec[], obj: Json, prefix: string, options: CheckOptions): void {
  for (const spec of specs) {
    // readOnly values in a request are ignored (RFC 7644 §3.5.1), so they are not checked either
    if (spec.mutability === 'readOnly') continue;
    const key = keyFor(obj, spec.name);
    const value = key === undefined ? undefined : obj[key];
    if ((value === undefined || value === null || value === '') && spec.required && options.requireRequired) {
      throw new ScimError(400, `Attribute '${prefix}${spec.name}' is required`, 'invalidValue');
    }
    checkValue(spec, value, `${prefix}${spec.name}`, options);
  }
}

/** Checks a whole User or Group body (POST, PUT, or the resource a PATCH produced) against its schemas. */
export function checkResource(kind: ResourceKind, body: Json, options: CheckOptions): void {
  const { core, extensions } = RESOURCE_SCHEMAS[kind];
  checkAttributes(SCHEMA_ATTRIBUTES[core], body, '', options);
  for (const extension of extensions) {
    const key = keyFor(body, extension);
    const value = key === undefined ? undefined : body[key];
    if (value === undefined || value === null) continue;
    if (!isObject(value)) throw invalid(extension, 'a JSON object of extension attributes', value);
    checkAttributes(SCHEMA_ATTRIBUTES[extension], value, `${extension}:`, options);
  }
}
