import { BlockList, isIP } from 'node:net';

/**
 * Which addresses a webhook may be delivered to (SSRF): none of loopback, private (RFC 1918, ULA), link-local
 * (169.254/16 with the cloud metadata address, fe80::/10), CGNAT, multicast, unspecified or otherwise reserved —
 * nor an IPv6 address that embeds such an IPv4 address (mapped, compatible, NAT64, 6to4).
 */
const RANGES: ReadonlyArray<[reason: string, family: 'ipv4' | 'ipv6', network: string, prefix: number]> = [
  ['unspecified', 'ipv4', '0.0.0.0', 8],
  ['private', 'ipv4', '10.0.0.0', 8],
  ['cgnat', 'ipv4', '100.64.0.0', 10],
  ['loopback', 'ipv4', '127.0.0.0', 8],
  ['link-local', 'ipv4', '169.254.0.0', 16],
  ['private', 'ipv4', '172.16.0.0', 12],
  ['reserved', 'ipv4', '192.0.0.0', 24],
  ['reserved', 'ipv4', '192.0.2.0', 24],
  ['private', 'ipv4', '192.168.0.0', 16],
  ['reserved', 'ipv4', '198.18.0.0', 15],
  ['reserved', 'ipv4', '198.51.100.0', 24],
  ['reserved', 'ipv4', '203.0.113.0', 24],
  ['multicast', 'ipv4', '224.0.0.0', 4],
  ['reserved', 'ipv4', '240.0.0.0', 4],
  ['unspecified', 'ipv6', '::', 128],
  ['loopback', 'ipv6', '::1', 128],
  ['reserved', 'ipv6', '100::', 64],
  ['reserved', 'ipv6', '2001:db8::', 32],
  ['private', 'ipv6', 'fc00::', 7],
  ['link-local', 'ipv6', 'fe80::', 10],
  ['link-local', 'ipv6', 'fec0::', 10],
  ['multicast', 'ipv6', 'ff00::', 8],
];

const LISTS = new Map<string, BlockList>();
for (const [reason, family, network, prefix] of RANGES) {
  let list = LISTS.get(reason);
  if (!list) LISTS.set(reason, (list = new BlockList()));
  list.addSubnet(network, prefix, family);
}

/** The eight 16-bit groups of an IPv6 address (no zone id), or undefined when it is not one. */
function hextets(address: string): number[] | undefined {
  if (isIP(address) !== 6) return undefined;
  let text = address;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1].split('.').map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const missing = tail === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array<string>(missing).fill('0'), ...right].map((group) => parseInt(group, 16));
}

const v4 = (high: number, low: number): string => [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');

/** The IPv4 address an IPv6 address carries: mapped (::ffff:0:0/96), compatible (::/96), NAT64 (64:ff9b::/96), 6to4. */
export function embeddedIPv4(address: string): string | undefined {
  const groups = hextets(address);
  if (!groups) return undefined;
  const zeros = (from: number, to: number): boolean => groups.slice(from, to).every((group) => group === 0);
  if (zeros(0, 5) && groups[5] === 0xffff) return v4(groups[6], groups[7]);
  if (zeros(0, 6) && (groups[6] !== 0 || groups[7] > 1)) return v4(groups[6], groups[7]);
  if (groups[0] === 0x64 && groups[1] === 0xff9b && zeros(2, 6)) return v4(groups[6], groups[7]);
  if (groups[0] === 0x2002) return v4(groups[1], groups[2]);
  return undefined;
}

/** Why a webhook may not be delivered to this IP address (e.g. `loopback`), or undefined when it may. */
export function refusedAddressReason(address: string): string | undefined {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 0) return 'not an IP address';
  const embedded = family === 6 ? embeddedIPv4(bare) : undefined;
  if (embedded !== undefined) return refusedAddressReason(embedded);
  for (const [reason, list] of LISTS) {
    if (list.check(bare, family === 4 ? 'ipv4' : 'ipv6')) return reason;
  }
  return undefined;
}
