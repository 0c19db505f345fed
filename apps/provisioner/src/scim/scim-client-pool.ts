import { ScimClient, scimBaseUrl, tenantScimBaseUrl } from '@kb4/knowbe4';
import { IntegratedAccountEntity, IntegratedAccountRepository } from '@kb4/persistence';

export interface ScimClientPoolOptions {
  baseUrlOverride?: string;
  pacing: 'off' | 'seed' | 'documented';
  httpAttempts: number;
}

/**
 * One ScimClient per account and credential version: clients share the keep-alive dispatcher and, per token,
 * the process-wide pacer, so concurrent commands of one account stay within its SCIM pacing.
 */
export class ScimClientPool {
  private readonly clients = new Map<string, { version: string; client: ScimClient }>();

  constructor(
    private readonly accounts: IntegratedAccountRepository,
    private readonly options: ScimClientPoolOptions,
  ) {}

  clientFor(account: IntegratedAccountEntity): ScimClient {
    const version = `${account.credentialsKeyId}:${account.credentialsCiphertext}:${account.scimBaseUrl ?? ''}`;
    const cached = this.clients.get(account.id);
    if (cached?.version === version) return cached.client;
    const { scim_token } = this.accounts.credentialsOf(account);
    const client = new ScimClient({
      // The override sends every KnowBe4 call to the sandbox, whatever Tenant URL the account stored.
      baseUrl: this.options.baseUrlOverride
        ? scimBaseUrl(account.region, this.options.baseUrlOverride)
        : tenantScimBaseUrl(account.region, account.scimBaseUrl),
      token: scim_token,
      pacer: this.options.pacing,
      // Few quick HTTP retries here; the provisioner's attempt loop owns the longer backoff and the DLQ decision.
      retry: { maxAttempts: this.options.httpAttempts, baseDelayMs: 100, maxDelayMs: 1_000, maxElapsedMs: 5_000 },
      timeoutMs: 20_000,
      userAgent: 'kb4-directory-provisioner',
    });
    this.clients.set(account.id, { version, client });
    return client;
  }
}
