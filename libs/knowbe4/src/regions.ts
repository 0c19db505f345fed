/** KnowBe4 hosts every account in exactly one of these regions; a key only works in its own region. */
export const KNOWBE4_REGIONS = ['us', 'eu', 'ca', 'uk', 'de'] as const;
export type KnowBe4Region = (typeof KNOWBE4_REGIONS)[number];

export function isKnowBe4Region(value: unknown): value is KnowBe4Region {
  return typeof value === 'string' && (KNOWBE4_REGIONS as readonly string[]).includes(value);
}

function withoutTrailingSlash(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url;
}

/** `https://{region}.api.knowbe4.com/v1`, or `{override}/{region}/v1` when one origin serves every region (sandbox). */
export function reportingBaseUrl(region: KnowBe4Region, override?: string): string {
  if (!isKnowBe4Region(region)) throw new TypeError(`unknown KnowBe4 region: ${String(region)}`);
  if (override) return `${withoutTrailingSlash(override)}/${region}/v1`;
  return `https://${region}.api.knowbe4.com/v1`;
}

// The console hosts that KnowBe4 shows as "Tenant URL"; only a default — the real URL is per account and opaque.
const DEFAULT_SCIM_HOSTS: Record<KnowBe4Region, string> = {
  us: 'https://training.knowbe4.com',
  eu: 'https://eu.knowbe4.com',
  ca: 'https://ca.knowbe4.com',
  uk: 'https://uk.knowbe4.com',
  de: 'https://de.knowbe4.com',
};

/** Default SCIM base for a region, or `{override}/scim/v2` for the sandbox. Prefer the account's own Tenant URL. */
export function scimBaseUrl(region: KnowBe4Region, override?: string): string {
  if (!isKnowBe4Region(region)) throw new TypeError(`unknown KnowBe4 region: ${String(region)}`);
  if (override) return `${withoutTrailingSlash(override)}/scim/v2`;
  return `${DEFAULT_SCIM_HOSTS[region]}/scim/v2`;
}

/**
 * Whether a SCIM base URL is KnowBe4's own: https, default port, on knowbe4.com or one of its subdomains, without
 * credentials. Only such a URL ever receives an account's SCIM token outside sandbox mode.
 */
export function isKnowBe4ScimBaseUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  const host = parsed.hostname;
  return (
    parsed.protocol === 'https:' &&
    parsed.port === '' &&
    parsed.username === '' &&
    parsed.password === '' &&
    (host === 'knowbe4.com' || host.endsWith('.knowbe4.com'))
  );
}

/**
 * Where an account's SCIM calls go outside sandbox mode: its stored Tenant URL when that is KnowBe4's, otherwise the
 * region default — a value stored while a sandbox override was on (or before it was checked) never gets the token.
 */
export function tenantScimBaseUrl(region: KnowBe4Region, stored: string | null | undefined): string {
  return stored && isKnowBe4ScimBaseUrl(stored) ? stored : scimBaseUrl(region);
}
