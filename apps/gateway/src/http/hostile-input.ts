import { ApiError } from '@kb4/platform';
import type { FieldProblem } from './validation';

/**
 * Structural limits every JSON body meets before validation sees it (class-transformer and class-validator recurse,
 * so a deep body is a stack overflow and seconds of CPU). Documented in openapi.json's description and the README.
 */
export const JSON_BODY_LIMITS = {
  /** Bytes of one request body. */
  maxBytes: 1024 * 1024,
  /** Nesting of arrays and objects; our deepest body (a SCIM PATCH through the proxy) needs 5. */
  maxDepth: 32,
  /** Elements of one array, anywhere in the body (the routes' own caps are lower and in the spec). */
  maxArrayItems: 1000,
  /** Characters of one string or key, anywhere in the body (the routes' own caps are lower and in the spec). */
  maxStringLength: 16_384,
} as const;

const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether raw JSON nests arrays/objects deeper than `maxDepth`, by one pass over the bytes (no recursion, nothing
 * allocated). Brackets inside strings do not count; UTF-8 continuation bytes never equal an ASCII bracket or quote.
 */
export function exceedsJsonDepth(bytes: Uint8Array, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      if (++depth > maxDepth) return true;
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      depth--;
    }
  }
  return false;
}

// C0 controls other than TAB, LF and CR, and DEL: no field of ours holds them, and Postgres text cannot hold NUL.
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
// In a query or path parameter (and a key) a TAB or line break makes no sense either.
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const CONTROL_OR_LINE_BREAK = /[\u0000-\u001f\u007f]/;
// A UTF-16 surrogate without its other half: not a character, and not storable as UTF-8 (Postgres refuses it).
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

// Any character one of the checks below could refuse: a string without one (nearly every string) is decided in one scan.
// eslint-disable-next-line no-control-regex -- control characters are exactly what is looked for
const SUSPECT = /[\u0000-\u001f\u007f\ud800-\udfff]/;

/** Why a string cannot be accepted anywhere, or undefined when it can. */
export function badTextReason(text: string, maxLength: number = JSON_BODY_LIMITS.maxStringLength, lineBreaks = true): string | undefined {
  if (text.length > maxLength) return `must be at most ${maxLength} characters`;
  if (!SUSPECT.test(text)) return undefined;
  if (text.includes('\u0000')) return 'must not contain NUL characters';
  const control = (lineBreaks ? CONTROL : CONTROL_OR_LINE_BREAK).exec(text);
  if (control) return `must not contain the control character U+${control[0].charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}`;
  if (LONE_SURROGATE.test(text)) return 'must not contain a lone UTF-16 surrogate (not a character)';
  return undefined;
}

export interface HostileValue {
  field: string;
  reason: string;
}

/**
 * How a field is named in `details`: its keys from the root joined with dots (`emails.0.email`, as class-validator
 * names nested fields); the root itself is ''.
 */
function pathOf(node: number, keys: ReadonlyArray<string | number>, parents: readonly number[]): string {
  const parts: string[] = [];
  for (let n = node; n > 0; n = parents[n]) parts.push(String(keys[n]));
  return parts.reverse().join('.');
}

/** A printable name for a key that itself may be hostile. */
function printableKey(key: string): string {
  return [...key.slice(0, 64)].map((c) => (CONTROL_OR_LINE_BREAK.test(c) || LONE_SURROGATE.test(c) ? '?' : c)).join('');
}

const BODY_VALUES = { ...JSON_BODY_LIMITS, lineBreaks: true };

/**
 * The first string, key or array in a parsed value that no route accepts (over-long, control characters, lone
 * surrogates, too many items), walked with an explicit stack so depth costs no call stack. TAB, CR and LF are
 * allowed in body strings only (`lineBreaks`), never in keys. Every value met is remembered by its key and its
 * parent's index, so a field's name is spelt out only for the one refused (this walk sees every request body and
 * every roster row).
 */
export function findHostileValue(root: unknown, options: { maxArrayItems: number; maxStringLength: number; lineBreaks: boolean } = BODY_VALUES): HostileValue | undefined {
  const values: unknown[] = [root];
  const keys: Array<string | number> = [''];
  const parents: number[] = [-1];
  const stack: number[] = [0];
  const fieldOf = (node: number): string => pathOf(node, keys, parents) || '(value)';
  const add = (value: unknown, key: string | number, parent: number): void => {
    stack.push(values.length);
    values.push(value);
    keys.push(key);
    parents.push(parent);
  };
  while (stack.length > 0) {
    const node = stack.pop()!;
    const value = values[node];
    if (typeof value === 'string') {
      const reason = badTextReason(value, options.maxStringLength, options.lineBreaks);
      if (reason) return { field: fieldOf(node), reason };
    } else if (Array.isArray(value)) {
      if (value.length > options.maxArrayItems) return { field: fieldOf(node), reason: `must have at most ${options.maxArrayItems} items` };
      for (let i = value.length - 1; i >= 0; i--) add(value[i], i, node);
    } else if (value !== null && typeof value === 'object') {
      const objectKeys = Object.keys(value);
      for (let i = objectKeys.length - 1; i >= 0; i--) {
        const key = objectKeys[i];
        const reason = badTextReason(key, 256, false);
        if (reason) {
          const path = pathOf(node, keys, parents);
          return { field: path === '' ? printableKey(key) : `${path}.${printableKey(key)}`, reason: `the key ${reason}` };
        }
        add((value as Record<string, unknown>)[key], key, node);
      }
    }
  }
  return undefined;
}

const LOCATION_NAMES: Record<string, string> = { query: 'query parameter', body: 'body field', param: 'path parameter' };

/** The 400 for a hostile value, in the shape validation errors have: `details: [{field, location, errors}]`. */
export function hostileValueError(found: HostileValue, location: 'body' | 'query' | 'param'): ApiError {
  const details: FieldProblem[] = [{ field: found.field, location, errors: [found.reason] }];
  return new ApiError(400, `${LOCATION_NAMES[location]} ${found.field} ${found.reason}`, details);
}
