import { isEmail } from 'class-validator';

/**
 * A plain ASCII address — dot-separated atoms of letters, digits and `_ % + -`, then a host of letter-digit-hyphen
 * labels (1–63 characters, no hyphen at either end) ending in an alphabetic TLD. Every such address of at most 254
 * characters with a local part of at most 64 passes validator's isEmail with its default options (the DTOs' @IsEmail);
 * plain-email.spec.ts checks that claim against isEmail itself.
 */
const PLAIN_EMAIL = /^[a-z0-9_%+-]+(?:\.[a-z0-9_%+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

/** True for a string that is a plain address by one regular expression, without isEmail's per-call option merging. */
export function isPlainEmail(value: string): boolean {
  return value.length <= 254 && value.indexOf('@') <= 64 && PLAIN_EMAIL.test(value);
}

/**
 * @IsEmail()'s answer, faster for the common case: a plain address is accepted at once, anything else (unicode, quoted
 * local parts, odd hosts) is asked of isEmail itself, so the answer is always isEmail's.
 */
export function isEmailAddress(value: string): boolean {
  return isPlainEmail(value) || isEmail(value);
}
