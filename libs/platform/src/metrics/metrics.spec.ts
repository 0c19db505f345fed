import type { Request } from 'express';
import { assertMetricsAccess } from './metrics';

function scrape(remoteAddress: string, headers: Record<string, string> = {}): Request {
  return { socket: { remoteAddress }, headers } as unknown as Request;
}

const refusal = (request: Request, token?: string): number | undefined => {
  try {
    assertMetricsAccess(request, { token });
    return undefined;
  } catch (error) {
    return (error as { statusCode: number }).statusCode;
  }
};

describe('who may scrape /metrics', () => {
  it('without METRICS_TOKEN: loopback clients only, and never a forwarded request', () => {
    expect(refusal(scrape('127.0.0.1'))).toBeUndefined();
    expect(refusal(scrape('::1'))).toBeUndefined();
    expect(refusal(scrape('::ffff:127.0.0.1'))).toBeUndefined();
    expect(refusal(scrape('10.1.2.3'))).toBe(403);
    expect(refusal(scrape('172.18.0.1'))).toBe(403);
    expect(refusal(scrape('2001:db8::1'))).toBe(403);
    expect(refusal(scrape('127.0.0.1', { 'x-forwarded-for': '203.0.113.9' }))).toBe(403);
    expect(refusal(scrape('127.0.0.1', { forwarded: 'for=203.0.113.9' }))).toBe(403);
  });

  it('with METRICS_TOKEN: the bearer token from anywhere, nothing without it (loopback included)', () => {
    const token = 'metrics-token-0123456789';
    expect(refusal(scrape('10.1.2.3', { authorization: `Bearer ${token}` }), token)).toBeUndefined();
    expect(refusal(scrape('127.0.0.1'), token)).toBe(401);
    expect(refusal(scrape('127.0.0.1', { authorization: `Bearer ${token}x` }), token)).toBe(401);
    expect(refusal(scrape('127.0.0.1', { authorization: token }), token)).toBe(401);
  });
});
