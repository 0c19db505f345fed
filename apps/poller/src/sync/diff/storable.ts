import type { SyncRecordSkipReason } from '@kb4/contracts';

/**
 * `\u0000` or a lone surrogate escape (`\ud800`–`\udfff`) that is not itself escaped (`\\u0000` is the text
 * "\u0000"). JSON.stringify writes well-formed pairs as themselves, so an escape here is always a lone half.
 */
const UNSTORABLE_ESCAPE = /(?<!\\)(?:\\\\)*\\u(?:0000|d[89a-f][0-9a-f]{2})/i;

/** Why Postgres would refuse this record before even trying (NUL and lone surrogates), or its size; else null. */
export function unstorableReason(record: unknown, maxChars: number): Extract<SyncRecordSkipReason, 'too_large' | 'unstorable_characters'> | null {
  const json = JSON.stringify(record) ?? '';
  if (json.length > maxChars) return 'too_large';
  if (json.includes('\\u') && UNSTORABLE_ESCAPE.test(json)) return 'unstorable_characters';
  return null;
}
