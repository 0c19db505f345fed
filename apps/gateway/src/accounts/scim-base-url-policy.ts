import { isIP } from 'node:net';
import { isKnowBe4ScimBaseUrl } from '@kb4/knowbe4';

// Cloud metadata endpoints by name; their addresses are caught by the link-local ranges below.
const METADATA_HOSTS = new Set(['metadata', 'metadata.google.internal', 'metadata.goog', 'instance-data', 'instance-data.ec2.internal']);

function ipv4Octets(host: string): number[] | undefined {
  return isIP(host) === 4 ? host.split('.').map(Number) : undefined;
}

/** Link-local and metadata addresses: never a SCIM server, always somewhere a token must not go. */
function isLinkLocalOrMetadata(host: string): boolean {
  if (METADATA_HOSTS.has(host)) return true;
  const v4 = ipv4Octets(host);
  if (v4) return (v4[0] === 169 && v4[1] === 254) || v4[0] === 0 || host === '100.100.100.200';
  const v6 = host.replace(/^\[|\]$/g, '');
  return isIP(v6) === 6 && (/^fe[89ab]/i.test(v6) || v6.toLowerCase() === 'fd00:ec2::254' || v6.startsWith('::ffff:169.254.') || v6.startsWith('::ffff:a9fe:'));
}

/** Loopback and private (RFC 1918, CGNAT, IPv6 ULA) addresses and names that only resolve inside a network. */
function isPrivate(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.internal') || host.endsWith('.local')) return true;
  const v4 = ipv4Octets(host);
  if (v4) {
    const [a, b] = v4;
    return a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
  }
  const v6 = host.replace(/^\[|\]$/g, '').toLowerCase();
  return isIP(v6) === 6 && (v6 === '::1' || v6 === '::' || /^f[cd]/.test(v6) || v6.startsWith('::ffff:'));
}

/**
 * Why `url` may not be stored as an account's SCIM base URL (it receives the SCIM token), or undefined when it may:
 * KnowBe4's own https hosts always; in sandbox mode (`KNOWBE4_BASE_URL_OVERRIDE` set) also the sandbox's own origin.
 * Link-local, metadata and private addresses are refused whatever the mode.
 */
export function scimBaseUrlProblem(url: string, sandboxOverride: string | undefined): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an absolute https URL';
  }
  if (parsed.username || parsed.password) return 'must not carry a user name or password';
  const host = parsed.hostname.toLowerCase();
  if (isLinkLocalOrMetadata(host)) return 'must not point at a link-local or cloud metadata address';
  if (isKnowBe4ScimBaseUrl(url)) return undefined;
  if (sandboxOverride && parsed.origin === new URL(sandboxOverride).origin) return undefined;
  if (isPrivate(host)) return sandboxOverride ? `must not point at a private or loopback address other than the sandbox (${new URL(sandboxOverride).origin})` : 'must not point at a private or loopback address';
  return sandboxOverride
    ? `must be https://….knowbe4.com/… (the Tenant URL from the KnowBe4 console) or the sandbox's own ${new URL(sandboxOverride).origin}/scim/v2`
    : 'must be https://….knowbe4.com/… (the Tenant URL from the KnowBe4 console)';
}
