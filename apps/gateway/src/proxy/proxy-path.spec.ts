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

describe('parseProxyUrl query parameters', () => {
  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'])('passes a parameter named %s through instead of calling it repeated', (name) => {
    const target = parseProxyUrl(`/proxy/${ACCOUNT}/reporting/users?${name}=1&page=2`);
    expect(Object.keys(target.query)).toEqual([name, 'page']);
    expect(target.query[name]).toBe('1');
  });

  it('still refuses a repeated __proto__', () => {
    expect(() => parseProxyUrl(`/proxy/${ACCOUNT}/reporting/users?__proto__=1&__proto__=2`)).toThrow('repeated');
  });

  it.each(['a%00b', 'x%0D%0Ay', '%1B[31m'])('refuses the control characters in %s, naming the parameter', (value) => {
    let thrown: unknown;
    try {
      parseProxyUrl(`/proxy/${ACCOUNT}/reporting/users?status=${value}`);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ statusCode: 400, details: [{ field: 'status', location: 'query' }] });
  });
});
