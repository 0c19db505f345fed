import { isKnowBe4ScimBaseUrl, scimBaseUrl, tenantScimBaseUrl } from './regions';

describe('KnowBe4 SCIM base URLs', () => {
  it.each(['https://training.knowbe4.com/scim/v2', 'https://eu.knowbe4.com/scim/v2/', 'https://knowbe4.com/scim/v2', 'https://TRAINING.KnowBe4.com/scim/v2'])(
    'accepts KnowBe4\'s own %s',
    (url) => expect(isKnowBe4ScimBaseUrl(url)).toBe(true),
  );

  it.each([
    'http://training.knowbe4.com/scim/v2',
    'https://training.knowbe4.com:8443/scim/v2',
    'https://user:pass@training.knowbe4.com/scim/v2',
    'https://knowbe4.com.evil.example/scim/v2',
    'https://evilknowbe4.com/scim/v2',
    'https://training.knowbe4.com.@evil.example/',
    'http://169.254.169.254/latest/meta-data',
    'https://10.0.0.5/scim/v2',
    'not a url',
  ])('refuses %s', (url) => expect(isKnowBe4ScimBaseUrl(url)).toBe(false));

  it('sends SCIM to the stored Tenant URL only when it is KnowBe4\'s, else to the region default', () => {
    expect(tenantScimBaseUrl('eu', 'https://eu.knowbe4.com/scim/v2')).toBe('https://eu.knowbe4.com/scim/v2');
    expect(tenantScimBaseUrl('eu', 'http://169.254.169.254/latest')).toBe(scimBaseUrl('eu'));
    expect(tenantScimBaseUrl('us', 'http://127.0.0.1:4010/scim/v2')).toBe(scimBaseUrl('us'));
    expect(tenantScimBaseUrl('us', null)).toBe(scimBaseUrl('us'));
  });
});
