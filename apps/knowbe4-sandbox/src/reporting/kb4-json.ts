/**
 * JSON as KnowBe4's Rails backend writes it: floats keep a decimal point (`0.0`, `25.6`),
 * which JSON.stringify cannot express, so float fields travel as marked strings and are unwrapped after.
 */
const FLOAT_MARK = '\u0001kb4f:';
const FLOAT_TOKEN = /"\\u0001kb4f:([-0-9.e+]+)"/g;

/** Brand for a float that must serialize with a decimal point. */
export type JsonFloat = string & { readonly __float: true };

export const float = (value: number): JsonFloat =>
  `${FLOAT_MARK}${Number.isInteger(value) ? value.toFixed(1) : String(value)}` as JsonFloat;

export const floatOrNull = (value: number | null): JsonFloat | null => (value === null ? null : float(value));

export function toKb4Json(value: unknown): string {
  const text = JSON.stringify(value);
  return text.includes('kb4f:') ? text.replace(FLOAT_TOKEN, '$1') : text;
}
