import { parseProxyUrl } from './proxy-path';

const ACCOUNT = '0b6f3c57-5d55-4a1e-9c43-2f0d7b1de0a1';

describe('parseProxyUrl', () => {
  it('splits account, surface, path and query', () => {
    expect(parseProxyUrl(`/proxy/${ACCOUNT}/reporting/users/12/risk_score_history?per_page=2`)).toEqual({
      accountId: ACCOUNT,
      surface: 'reporting',
      path: '/users/12/risk_score_history',
      query: { per_page: '2' },
    });
    expect(parseProxyUrl(`/proxy/${ACCOUNT}/scim/Schemas/urn:ietf:params:scim:schemas:core:2.0:User`).path).toBe(
      '/Schemas/urn:ietf:params:scim:schemas:core:2.0:User',
    );
  });

  it.each([
    '/reporting/../x',
    '/reporting/./x',
    '/reporting//evil.example.com',
    '/reporting/%2e%2e/x',
    '/reporting/a%2Fb',
    '/reporting/a\\b',
    '/reporting',
    '/reporting/',
    '/other/users',
  ])('refuses %s', (suffix) => {
    expect(() => parseProxyUrl(`/proxy/${ACCOUNT}${suffix}`)).toThrow('proxy path refused');
  });

  it('refuses repeated query parameters', () => {
    expect(() => parseProxyUrl(`/proxy/${ACCOUNT}/reporting/users?page=1&page=2`)).toThrow('repeated');
  });
});
