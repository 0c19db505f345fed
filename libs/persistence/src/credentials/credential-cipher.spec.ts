import { CredentialCipher, parsePreviousKeys } from './credential-cipher';

describe('CredentialCipher', () => {
  const credentials = { reporting_api_key: 'rk-1', scim_token: 'st-1' };

  it('round-trips credentials and never writes them in clear', () => {
    const cipher = new CredentialCipher(CredentialCipher.generateKey());
    const { ciphertext, keyId } = cipher.encrypt(credentials);
    expect(ciphertext).not.toContain('rk-1');
    expect(keyId).toBe(cipher.currentKeyId);
    expect(cipher.decrypt(ciphertext)).toEqual(credentials);
  });

  it('reads data written with a previous key after rotation', () => {
    const oldKey = CredentialCipher.generateKey();
    const { ciphertext } = new CredentialCipher(oldKey).encrypt(credentials);
    const rotated = new CredentialCipher(CredentialCipher.generateKey(), [oldKey]);
    expect(rotated.decrypt(ciphertext)).toEqual(credentials);
  });

  it('reads every key CREDENTIALS_PREVIOUS_KEYS lists, spaces and empty entries ignored, as every service parses it', () => {
    const [first, second] = [CredentialCipher.generateKey(), CredentialCipher.generateKey()];
    const written = [first, second].map((key) => new CredentialCipher(key).encrypt(credentials).ciphertext);
    const rotated = CredentialCipher.fromConfig({ CREDENTIALS_KEY: CredentialCipher.generateKey(), CREDENTIALS_PREVIOUS_KEYS: ` ${first} ,, ${second}\n` });
    expect(written.map((ciphertext) => rotated.decrypt(ciphertext))).toEqual([credentials, credentials]);
    expect(parsePreviousKeys(undefined)).toEqual([]);
    expect(parsePreviousKeys(` ${first} ,, ${second}\n`)).toEqual([first, second]);
  });

  it('rejects tampered ciphertext', () => {
    const cipher = new CredentialCipher(CredentialCipher.generateKey());
    const parts = cipher.encrypt(credentials).ciphertext.split(':');
    parts[4] = Buffer.from('{"reporting_api_key":"evil"}').toString('base64');
    expect(() => cipher.decrypt(parts.join(':'))).toThrow();
  });

  it('refuses a key that is not 32 bytes', () => {
    expect(() => new CredentialCipher(Buffer.from('short').toString('base64'))).toThrow(/CREDENTIALS_KEY must be 32 bytes/);
  });
});
