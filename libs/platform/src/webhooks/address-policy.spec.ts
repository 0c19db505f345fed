import { embeddedIPv4, refusedAddressReason } from './address-policy';
import { assertAllowedAddresses, checkWebhookUrl, guardedLookup, WebhookTargetRefusedError } from './webhook-target';

describe('webhook target address policy (SSRF)', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.1.2', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['169.254.0.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['febf::1', 'link-local'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.254', 'cgnat'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['255.255.255.255', 'reserved'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['::ffff:10.0.0.1', 'private'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['2002:c0a8:0101::1', 'private'],
    ['[::1]', 'loopback'],
    ['fe80::1%eth0', 'link-local'],
  ])('refuses %s (%s)', (address, reason) => {
    expect(refusedAddressReason(address)).toBe(reason);
  });

  it.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:93.184.216.34', '2a00:1450:4001:80b::200e'])(
    'allows the public address %s',
    (address) => {
      expect(refusedAddressReason(address)).toBeUndefined();
    },
  );

  it('reads the IPv4 address embedded in mapped, NAT64 and 6to4 IPv6 addresses', () => {
    expect(embeddedIPv4('::ffff:c0a8:101')).toBe('192.168.1.1');
    expect(embeddedIPv4('64:ff9b::8.8.8.8')).toBe('8.8.8.8');
    expect(embeddedIPv4('2002:0808:0808::')).toBe('8.8.8.8');
    expect(embeddedIPv4('2606:4700::1111')).toBeUndefined();
  });

  it('says something for a value that is not an IP address', () => {
    expect(refusedAddressReason('example.com')).toBe('not an IP address');
  });
});

describe('webhook target URL checks', () => {
  const strict = { allowHttp: false, allowPrivate: false };
  const resolver = (answers: Record<string, string[]>) => async (host: string) =>
    (answers[host] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

  it('accepts an https URL whose host resolves only to public addresses', async () => {
    const url = await checkWebhookUrl('https://hooks.example.com/in', strict, resolver({ 'hooks.example.com': ['93.184.216.34'] }));
    expect(url.hostname).toBe('hooks.example.com');
  });

  it('refuses http unless allowed, and credentials in the URL', async () => {
    await expect(checkWebhookUrl('http://hooks.example.com/', strict, resolver({ 'hooks.example.com': ['93.184.216.34'] }))).rejects.toThrow('must be an https URL');
    await expect(checkWebhookUrl('https://u:p@hooks.example.com/', strict)).rejects.toThrow('credentials');
    await expect(checkWebhookUrl('ftp://hooks.example.com/', { ...strict, allowHttp: true })).rejects.toThrow('http or https');
    await expect(checkWebhookUrl('not a url', strict)).rejects.toThrow('absolute URL');
  });

  it('refuses a literal loopback address, a metadata address and a host with one private answer among public ones', async () => {
    await expect(checkWebhookUrl('https://127.0.0.1:8443/', strict)).rejects.toThrow('loopback');
    await expect(checkWebhookUrl('https://[::ffff:127.0.0.1]/', strict)).rejects.toThrow('loopback');
    await expect(checkWebhookUrl('https://169.254.169.254/latest/meta-data', strict)).rejects.toThrow('link-local');
    await expect(checkWebhookUrl('https://mixed.example.com/', strict, resolver({ 'mixed.example.com': ['93.184.216.34', '10.0.0.5'] }))).rejects.toThrow(
      'private address: mixed.example.com (10.0.0.5)',
    );
    await expect(checkWebhookUrl('https://nowhere.example.com/', strict, resolver({}))).rejects.toBeInstanceOf(WebhookTargetRefusedError);
  });

  it('allows private addresses (and http) only when the policy says so', async () => {
    const url = await checkWebhookUrl('http://127.0.0.1:9000/hook', { allowHttp: true, allowPrivate: true });
    expect(url.port).toBe('9000');
    expect(() => assertAllowedAddresses('localhost', [{ address: '127.0.0.1', family: 4 }], { allowHttp: true, allowPrivate: true })).not.toThrow();
  });

  it('connect-time lookup refuses a host whose DNS answer changed to a private address', async () => {
    let answer = '93.184.216.34';
    const lookup = guardedLookup(strict, async () => [{ address: answer, family: 4 }]);
    const resolveOnce = () =>
      new Promise<{ error: NodeJS.ErrnoException | null; address: unknown }>((done) => lookup('rebind.example.com', {}, (error, address) => done({ error, address })));
    expect(await resolveOnce()).toEqual({ error: null, address: '93.184.216.34' });
    answer = '127.0.0.1';
    const refused = await resolveOnce();
    expect(refused.error?.message).toContain('loopback');
  });
});
