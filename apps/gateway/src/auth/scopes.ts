/**
 * What an API key may do. Reads of the directory, of operations and of integrated accounts need `directory:read`;
 * unified writes, operation retries and non-GET proxy calls need `directory:write`; connecting, changing and
 * disconnecting integrated accounts (and a manual sync) need `accounts:manage`; webhook subscriptions need
 * `webhooks:manage`. Scopes do not imply each other: a key made for writes only cannot read.
 */
export const ALL_API_KEY_SCOPES = ['directory:read', 'directory:write', 'accounts:manage', 'webhooks:manage'] as const;

export type ApiKeyScope = (typeof ALL_API_KEY_SCOPES)[number];

export function isApiKeyScope(value: unknown): value is ApiKeyScope {
  return typeof value === 'string' && (ALL_API_KEY_SCOPES as readonly string[]).includes(value);
}
