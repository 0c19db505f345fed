import { Inject, Injectable } from '@nestjs/common';
import { KNOWBE4_REGIONS, KnowBe4Region } from '@kb4/knowbe4';
import {
  AccountAdminRepository,
  IntegratedAccountEntity,
  IntegratedAccountRepository,
  KeysetPage,
  SyncQueueRepository,
  SyncRunEntity,
  TimeKeyset,
} from '@kb4/persistence';
import { ApiError } from '@kb4/platform';
import { GatewayConfig } from '../config/gateway.config';
import { CursorCodec, queryFingerprint, readNextCursor } from '../directory/cursor';
import { AccountScope } from './account-scope';
import { CreateIntegratedAccountDto, IntegratedAccountListQuery, SyncRunListQuery, UpdateIntegratedAccountDto } from './integrated-account.dto';
import { CandidateCredentials, KnowBe4ClientFactory } from './knowbe4-clients';
import { scimBaseUrlProblem } from './scim-base-url-policy';

/** One page of an admin list with the opaque cursor of the next one. */
export interface ListPage<T> {
  rows: T[];
  nextCursor: string | null;
}

interface CredentialProblem {
  credential: 'reporting_api_key' | 'scim_token';
  reason: string;
  message: string;
  region_hint?: string;
}

/**
 * Integrated accounts of one workspace: credentials are checked against KnowBe4 before they are stored, and
 * a rejected Reporting key is tried in the other regions so the error can say which region it belongs to.
 */
@Injectable()
export class IntegratedAccountsService {
  private readonly cursors: CursorCodec;

  constructor(
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
    @Inject(IntegratedAccountRepository) private readonly accounts: IntegratedAccountRepository,
    @Inject(AccountAdminRepository) private readonly admin: AccountAdminRepository,
    @Inject(SyncQueueRepository) private readonly syncQueue: SyncQueueRepository,
    @Inject(AccountScope) private readonly scope: AccountScope,
    @Inject(KnowBe4ClientFactory) private readonly clients: KnowBe4ClientFactory,
  ) {
    this.cursors = CursorCodec.fromConfig(config);
  }

  async connect(workspaceId: string, input: CreateIntegratedAccountDto, requestId?: string): Promise<IntegratedAccountEntity> {
    this.assertScimBaseUrlAllowed(input.scim_base_url);
    await this.verifyOrThrow(
      { region: input.region, reporting_api_key: input.reporting_api_key, scim_token: input.scim_token, scim_base_url: input.scim_base_url },
      requestId,
    );
    return this.accounts.connect({
      workspaceId,
      label: input.label,
      region: input.region,
      credentials: { reporting_api_key: input.reporting_api_key, scim_token: input.scim_token },
      scimBaseUrl: input.scim_base_url ?? null,
      pollIntervalSeconds: input.poll_interval_seconds ?? null,
    });
  }

  async list(workspaceId: string, query: IntegratedAccountListQuery): Promise<ListPage<IntegratedAccountEntity>> {
    const limit = query.limit ?? 50;
    const fingerprint = queryFingerprint({ workspaceId, resource: 'integrated_accounts', limit });
    const after = this.decodeCursor(query.next_cursor, fingerprint);
    return this.withCursor(await this.admin.pageInWorkspace(workspaceId, limit, after), fingerprint);
  }

  get(workspaceId: string, id: string): Promise<IntegratedAccountEntity> {
    return this.scope.requireAccount(workspaceId, id);
  }

  async update(workspaceId: string, id: string, input: UpdateIntegratedAccountDto, requestId?: string): Promise<IntegratedAccountEntity> {
    const account = await this.scope.requireAccount(workspaceId, id);
    this.assertScimBaseUrlAllowed(input.scim_base_url);
    const rotating = input.reporting_api_key !== undefined || input.scim_token !== undefined || input.scim_base_url !== undefined;
    // Re-activating an account the poller stopped after a 401 checks the stored credentials again first.
    const reactivating = account.status === 'auth_failed' && input.status === 'active';
    let credentials: { reporting_api_key: string; scim_token: string } | undefined;
    if (rotating || reactivating) {
      const stored = this.accounts.credentialsOf(account);
      const candidate = {
        reporting_api_key: input.reporting_api_key ?? stored.reporting_api_key,
        scim_token: input.scim_token ?? stored.scim_token,
      };
      await this.verifyOrThrow({ region: account.region, ...candidate, scim_base_url: input.scim_base_url ?? account.scimBaseUrl }, requestId);
      if (rotating) credentials = candidate;
    }
    const updated = await this.admin.updateInWorkspace(workspaceId, account.id, {
      label: input.label,
      status: input.status,
      pollIntervalSeconds: input.poll_interval_seconds,
      scimBaseUrl: input.scim_base_url,
      credentials,
    });
    this.scope.forget(account.id);
    if (!updated) throw new ApiError(404, 'integrated account not found');
    // Back from auth_failed with credentials KnowBe4 accepts: catch up now rather than at the next interval.
    if (account.status === 'auth_failed' && updated.status === 'active') await this.syncQueue.queueManualSync(updated.id);
    return updated;
  }

  async remove(workspaceId: string, id: string): Promise<void> {
    const account = await this.scope.requireAccount(workspaceId, id);
    await this.admin.deleteInWorkspace(workspaceId, account.id);
    this.scope.forget(account.id);
  }

  async requestSync(workspaceId: string, id: string): Promise<{ run: SyncRunEntity; created: boolean }> {
    const account = await this.scope.requireAccount(workspaceId, id);
    if (account.status === 'paused') throw new ApiError(409, 'the integrated account is paused; PATCH status to active first');
    if (account.status === 'auth_failed') {
      throw new ApiError(
        409,
        'KnowBe4 rejected this account\'s Reporting API key (401), so it is not synced; PATCH new credentials, or status active to check the stored ones again',
      );
    }
    return this.syncQueue.queueManualSync(account.id);
  }

  async syncRuns(workspaceId: string, id: string, query: SyncRunListQuery): Promise<ListPage<SyncRunEntity>> {
    const account = await this.scope.requireAccount(workspaceId, id);
    const limit = query.limit ?? 20;
    const fingerprint = queryFingerprint({ workspaceId, accountId: account.id, resource: 'sync_runs', limit });
    const after = this.decodeCursor(query.next_cursor, fingerprint);
    return this.withCursor(await this.syncQueue.pageRunsOf(account.id, limit, after), fingerprint);
  }

  private decodeCursor(cursor: string | undefined, fingerprint: string): TimeKeyset | undefined {
    return cursor === undefined ? undefined : readNextCursor(() => this.cursors.decodeTimeKeyset(cursor, fingerprint));
  }

  private withCursor<T>(page: KeysetPage<T>, fingerprint: string): ListPage<T> {
    return { rows: page.rows, nextCursor: page.next ? this.cursors.encodeTimeKeyset(page.next, fingerprint) : null };
  }

  // A user-supplied URL receives the SCIM token: checked in every mode, since a stored value outlives the override.
  private assertScimBaseUrlAllowed(url: string | undefined): void {
    if (url === undefined) return;
    const problem = scimBaseUrlProblem(url, this.config.KNOWBE4_BASE_URL_OVERRIDE);
    if (problem) throw new ApiError(400, `scim_base_url ${problem}`, [{ field: 'scim_base_url', location: 'body', errors: [problem] }]);
  }

  private async verifyOrThrow(candidate: CandidateCredentials, requestId?: string): Promise<void> {
    const { reporting, scim } = await this.clients.verify(candidate, requestId);
    const problems: CredentialProblem[] = [];
    let upstream: { status: number; body: unknown; insight: string } | undefined;
    for (const [credential, result] of [['reporting_api_key', reporting], ['scim_token', scim]] as const) {
      if (result.ok) continue;
      const error = result.error as { status?: number; body?: unknown; insight?: string };
      upstream ??= { status: error.status ?? 0, body: error.body ?? null, insight: error.insight ?? 'remote_error' };
      problems.push({ credential, reason: result.reason, message: result.message });
    }
    if (problems.length === 0) return;

    const transient = problems.find((p) => p.reason === 'rate_limited' || p.reason === 'unreachable' || p.reason === 'unexpected');
    if (transient) {
      const status = transient.reason === 'rate_limited' ? 429 : 502;
      throw new ApiError(status, `could not verify the ${transient.credential} with KnowBe4 (${transient.reason}); nothing was saved, try again`, problems, upstream);
    }
    const reportingProblem = problems.find((p) => p.credential === 'reporting_api_key');
    if (reportingProblem) reportingProblem.region_hint = await this.regionHint(candidate.region, candidate.reporting_api_key);
    const names = problems.map((p) => p.credential).join(' and ');
    const hint = reportingProblem?.region_hint ? ` (${reportingProblem.region_hint})` : '';
    throw new ApiError(422, `KnowBe4 rejected the ${names}${hint}; nothing was saved`, problems, upstream);
  }

  /** A key KnowBe4 rejects looks the same in the wrong region as when invalid; asking the other regions tells them apart. */
  private async regionHint(region: KnowBe4Region, apiKey: string): Promise<string> {
    const others = KNOWBE4_REGIONS.filter((r) => r !== region);
    const answers = await Promise.all(
      others.map(async (other) => {
        const client = this.clients.reportingClient(other, apiKey, { maxAttempts: 1 }, 5_000);
        const result = await client.verifyCredentials();
        return { other, ok: result.ok, rejected: !result.ok && result.reason === 'auth' };
      }),
    );
    const home = answers.find((a) => a.ok);
    if (home) return `the region is wrong: this key belongs to region "${home.other}", not "${region}"`;
    if (!answers.every((a) => a.rejected)) return `the key is invalid, or the region is wrong (not every other region could be asked)`;
    return `the key was rejected in every region (${KNOWBE4_REGIONS.join(', ')}), so the region is not the problem: the key is invalid or revoked`;
  }
}
