import { Inject, Injectable } from '@nestjs/common';
import {
  KnowBe4Region,
  ReportingClient,
  ScimClient,
  scimBaseUrl as defaultScimBaseUrl,
  VerifyCredentialsResult,
  ScimVerifyCredentialsResult,
  SharedRatePacerRegistry,
  tenantScimBaseUrl,
} from '@kb4/knowbe4';
import { IntegratedAccountEntity, IntegratedAccountRepository } from '@kb4/persistence';
import { GatewayConfig } from '../config/gateway.config';

export interface AccountClients {
  reporting: ReportingClient;
  scim: ScimClient;
}

export interface CandidateCredentials {
  region: KnowBe4Region;
  reporting_api_key: string;
  scim_token: string;
  scim_base_url?: string | null;
}

const MAX_CACHED = 1_000;

/**
 * Builds the KnowBe4 clients of an account from its stored (encrypted) credentials. Clients are cached per
 * account and ciphertext; their Reporting pacing reserves in the Postgres-backed budget of the key, so proxy,
 * read-through, verification and the poller (another process) draw from one budget per account.
 */
@Injectable()
export class KnowBe4ClientFactory {
  private readonly cache = new Map<string, AccountClients>();

  constructor(
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
    @Inject(IntegratedAccountRepository) private readonly accounts: IntegratedAccountRepository,
    @Inject(SharedRatePacerRegistry) private readonly budgets: SharedRatePacerRegistry,
  ) {}

  /**
   * A Reporting client for a region and key, paced by the shared budget (also used for region hints): the
   * interactive lane, served round-robin by `holder` (the workspace), waiting at most KNOWBE4_MAX_QUEUE_WAIT_MS.
   */
  reportingClient(region: KnowBe4Region, apiKey: string, retry: { maxAttempts: number; maxElapsedMs?: number }, timeoutMs = 15_000, holder?: string): ReportingClient {
    return new ReportingClient({
      region,
      apiKey,
      baseUrlOverride: this.config.KNOWBE4_BASE_URL_OVERRIDE,
      pacer: this.config.KNOWBE4_PACING,
      pacerRegistry: this.budgets,
      pacing: { lane: 'interactive', holder, maxWaitMs: this.config.KNOWBE4_MAX_QUEUE_WAIT_MS },
      retry,
      timeoutMs,
    });
  }

  /** Where SCIM traffic goes: the sandbox under KNOWBE4_BASE_URL_OVERRIDE, else the account's tenant URL if it is KnowBe4's. */
  scimBaseUrlFor(region: KnowBe4Region, stored: string | null | undefined): string {
    const override = this.config.KNOWBE4_BASE_URL_OVERRIDE;
    if (override) return defaultScimBaseUrl(region, override);
    return tenantScimBaseUrl(region, stored);
  }

  forAccount(account: IntegratedAccountEntity): AccountClients {
    const cacheKey = `${account.id}:${account.credentialsCiphertext}`;
    const cached = this.cache.get(cacheKey);
    if (cached) return cached;
    const credentials = this.accounts.credentialsOf(account);
    const clients = this.build({
      region: account.region,
      reporting_api_key: credentials.reporting_api_key,
      scim_token: credentials.scim_token,
      scim_base_url: account.scimBaseUrl,
    }, undefined, account.workspaceId);
    if (this.cache.size >= MAX_CACHED) this.cache.clear();
    this.cache.set(cacheKey, clients);
    return clients;
  }

  /** Checks both credentials against KnowBe4 (GET /v1/account, GET /Users?count=1) before anything is stored. */
  async verify(candidate: CandidateCredentials, requestId?: string): Promise<{ reporting: VerifyCredentialsResult; scim: ScimVerifyCredentialsResult }> {
    // no retries: a person is waiting for the answer, and a bad key stays bad
    const clients = this.build(candidate, { maxAttempts: 2, maxElapsedMs: 10_000 });
    const [reporting, scim] = await Promise.all([
      clients.reporting.verifyCredentials({ requestId }),
      clients.scim.verifyCredentials({ requestId }),
    ]);
    return { reporting, scim };
  }

  private build(candidate: CandidateCredentials, retry?: { maxAttempts: number; maxElapsedMs: number }, holder?: string): AccountClients {
    return {
      reporting: this.reportingClient(candidate.region, candidate.reporting_api_key, retry ?? { maxAttempts: 3, maxElapsedMs: 20_000 }, undefined, holder),
      scim: new ScimClient({
        baseUrl: this.scimBaseUrlFor(candidate.region, candidate.scim_base_url),
        token: candidate.scim_token,
        retry: retry ?? { maxAttempts: 3, maxElapsedMs: 20_000 },
        timeoutMs: 15_000,
      }),
    };
  }
}
