const SECRET_KEY_PATTERN = /authorization|api[-_]?key|token|secret|password|bearer/i;
export const REDACTED = '[REDACTED]';

function scrubString(value: string, secrets: readonly string[]): string {
  let out = value;
  for (const secret of secrets) {
    if (secret.length >= 4 && out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/**
 * Copy of an upstream body that is safe to log or return to API callers: values under secret-looking keys
 * and every occurrence of a known secret are replaced.
 */
export function redactSecrets(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof value === 'string') return scrubString(value, secrets);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 20) return REDACTED;
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, secrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    out[key] = SECRET_KEY_PATTERN.test(key) ? REDACTED : redactSecrets(item, secrets, depth + 1);
  }
  return out;
}

/** URL as it may appear in errors: secret-looking query values and known secrets removed. */
export function redactUrl(url: string, secrets: readonly string[]): string {
  const scrubbed = scrubString(url, secrets);
  const queryAt = scrubbed.indexOf('?');
  if (queryAt < 0) return scrubbed;
  const params = new URLSearchParams(scrubbed.slice(queryAt + 1));
  for (const key of [...params.keys()]) {
    if (SECRET_KEY_PATTERN.test(key)) params.set(key, REDACTED);
  }
  return `${scrubbed.slice(0, queryAt)}?${params.toString()}`;
}
