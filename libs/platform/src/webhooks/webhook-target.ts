import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { refusedAddressReason } from './address-policy';

/** What a webhook target may be: http only when allowed, private addresses only when allowed (local demo, tests). */
export interface WebhookTargetPolicy {
  allowHttp: boolean;
  allowPrivate: boolean;
}

export interface ResolvedAddress {
  address: string;
  family: number;
}

export type AddressResolver = (hostname: string) => Promise<ResolvedAddress[]>;

export class WebhookTargetRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookTargetRefusedError';
  }
}

const systemResolver: AddressResolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** The URL's host without IPv6 brackets. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
}

/** Parses and checks a target URL's form: absolute http(s), no credentials, http only when the policy allows it. */
export function parseWebhookUrl(raw: string, policy: WebhookTargetPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookTargetRefusedError('must be an absolute URL');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowHttp)) {
    throw new WebhookTargetRefusedError(policy.allowHttp ? 'must be an http or https URL' : 'must be an https URL');
  }
  if (url.username || url.password) throw new WebhookTargetRefusedError('must not carry credentials (user:password@)');
  if (!url.hostname) throw new WebhookTargetRefusedError('must name a host');
  return url;
}

/** Throws unless every address may be delivered to (a host that resolves to one refused address is refused). */
export function assertAllowedAddresses(host: string, addresses: readonly ResolvedAddress[], policy: WebhookTargetPolicy): void {
  if (addresses.length === 0) throw new WebhookTargetRefusedError(`host ${host} does not resolve to any address`);
  if (policy.allowPrivate) return;
  for (const { address } of addresses) {
    const reason = refusedAddressReason(address);
    if (reason) {
      const shown = address === host ? address : `${host} (${address})`;
      throw new WebhookTargetRefusedError(`must not point to a ${reason} address: ${shown}; set WEBHOOKS_ALLOW_PRIVATE=true to allow it`);
    }
  }
}

/** Resolves the URL's host and checks every address it resolves to (at creation; deliveries check again on connect). */
export async function checkWebhookUrl(raw: string, policy: WebhookTargetPolicy, resolve: AddressResolver = systemResolver): Promise<URL> {
  const url = parseWebhookUrl(raw, policy);
  const host = hostOf(url);
  const family = isIP(host);
  let addresses: ResolvedAddress[];
  if (family !== 0) {
    addresses = [{ address: host, family }];
  } else {
    try {
      addresses = await resolve(host);
    } catch {
      throw new WebhookTargetRefusedError(`host ${host} does not resolve`);
    }
  }
  assertAllowedAddresses(host, addresses, policy);
  return url;
}

/**
 * A `lookup` for net/tls connect that refuses what `assertAllowedAddresses` refuses, so the socket connects to the very
 * address that was checked (a DNS answer that changed since the webhook was created is caught here).
 */
export function guardedLookup(policy: WebhookTargetPolicy, resolve: AddressResolver = systemResolver): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname)
      .then((addresses) => {
        const wanted = options.family === 4 || options.family === 6 ? addresses.filter((a) => a.family === options.family) : addresses;
        assertAllowedAddresses(hostname, wanted, policy);
        if (options.all) callback(null, wanted);
        else callback(null, wanted[0].address, wanted[0].family);
      })
      .catch((error: unknown) => {
        const failure = error instanceof Error ? error : new Error(String(error));
        callback(Object.assign(failure, { code: (failure as NodeJS.ErrnoException).code ?? 'EWEBHOOKTARGET' }), '', 0);
      });
  };
}
