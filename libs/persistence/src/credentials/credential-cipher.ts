import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export interface KnowBe4Credentials {
  reporting_api_key: string;
  scim_token: string;
}

interface Key {
  id: string;
  bytes: Buffer;
}

const FORMAT = 'v1';

function parseKey(base64: string, variable: string): Key {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length !== 32) throw new Error(`${variable} must be 32 bytes encoded as base64 (got ${bytes.length} bytes)`);
  return { id: createHash('sha256').update(bytes).digest('hex').slice(0, 12), bytes };
}

/** CREDENTIALS_PREVIOUS_KEYS: comma-separated base64 keys; spaces around a key and empty entries are ignored. */
export function parsePreviousKeys(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter(Boolean);
}

/**
 * AES-256-GCM for stored KnowBe4 credentials. The key id travels with the ciphertext so keys can be rotated:
 * new writes use the current key, reads accept any key listed as previous.
 */
export class CredentialCipher {
  private readonly current: Key;
  private readonly byId: Map<string, Key>;

  constructor(currentKeyBase64: string, previousKeysBase64: string[] = []) {
    this.current = parseKey(currentKeyBase64, 'CREDENTIALS_KEY');
    const previous = previousKeysBase64.map((k) => parseKey(k, 'CREDENTIALS_PREVIOUS_KEYS'));
    this.byId = new Map([this.current, ...previous].map((k) => [k.id, k]));
  }

  /** The cipher a service's configuration describes: CREDENTIALS_KEY, and CREDENTIALS_PREVIOUS_KEYS still readable. */
  static fromConfig(config: { CREDENTIALS_KEY: string; CREDENTIALS_PREVIOUS_KEYS?: string }): CredentialCipher {
    return new CredentialCipher(config.CREDENTIALS_KEY, parsePreviousKeys(config.CREDENTIALS_PREVIOUS_KEYS));
  }

  static generateKey(): string {
    return randomBytes(32).toString('base64');
  }

  get currentKeyId(): string {
    return this.current.id;
  }

  encrypt(credentials: KnowBe4Credentials): { ciphertext: string; keyId: string } {
    return this.encryptText(JSON.stringify(credentials));
  }

  decrypt(ciphertext: string): KnowBe4Credentials {
    return JSON.parse(this.decryptText(ciphertext)) as KnowBe4Credentials;
  }

  /** Any secret text (e.g. a webhook signing secret), in the same format and key rotation as the credentials. */
  encryptText(clear: string): { ciphertext: string; keyId: string } {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current.bytes, iv);
    cipher.setAAD(Buffer.from(`${FORMAT}:${this.current.id}`));
    const body = Buffer.concat([cipher.update(clear, 'utf8'), cipher.final()]);
    const parts = [FORMAT, this.current.id, iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')];
    return { ciphertext: parts.join(':'), keyId: this.current.id };
  }

  decryptText(ciphertext: string): string {
    const [format, keyId, iv, tag, body] = ciphertext.split(':');
    if (format !== FORMAT || !keyId || !iv || !tag || !body) throw new Error('stored credentials are not in a known format');
    const key = this.byId.get(keyId);
    if (!key) throw new Error(`stored credentials use key ${keyId}, which is not configured (CREDENTIALS_KEY / CREDENTIALS_PREVIOUS_KEYS)`);
    const decipher = createDecipheriv('aes-256-gcm', key.bytes, Buffer.from(iv, 'base64'));
    decipher.setAAD(Buffer.from(`${format}:${keyId}`));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
  }
}
