import { REDACTED, redactSecrets, redactUrl } from './redact';

describe('redactSecrets', () => {
  it('removes secret-looking fields and every echo of a known secret, without touching the input', () => {
    const body = {
      message: 'Invalid Token: abcd-1234-secret',
      nested: [{ api_key: 'x', Authorization: 'Bearer y', ok: 'fine' }],
      token: 'z',
    };
    const redacted = redactSecrets(body, ['abcd-1234-secret']);
    expect(redacted).toEqual({
      message: `Invalid Token: ${REDACTED}`,
      nested: [{ api_key: REDACTED, Authorization: REDACTED, ok: 'fine' }],
      token: REDACTED,
    });
    expect(body.message).toContain('abcd-1234-secret');
  });

  it('scrubs secret query values from URLs', () => {
    expect(redactUrl('https://x/v1/users?page=2&api_key=abc', [])).toBe(`https://x/v1/users?page=2&api_key=${encodeURIComponent(REDACTED)}`);
  });
});
