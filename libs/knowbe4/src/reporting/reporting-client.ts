import { inspect } from 'node:util';
import { credentialCheckFailure, KnowBe4AuthError, KnowBe4Error } from '../errors';
import type { Query } from '../http/dispatch/query-string';
import { defaultErrorFor, FailedResponse } from '../http/error-mapping/upstream-errors';
import { safeRelativePath } from '../http/paths';
import { resolveRetryPolicy } from '../http/retry/retry-policy';
import { CallOptions, KnowBe4Transport, RawTransportResponse, TransportResponse } from '../http/transport';
import { isPacer, Pacer } from '../pacing/pacer';
import { sharedRatePacers } from '../pacing/rate-pacer';
import { KnowBe4Region, reportingBaseUrl } from '../regions';
import { clampPerPage, PagedList, pagesByCursor, pagesByNumber, SkipListener, SkippedRecord } from './pagination';
import {
  normalizeEnrollment,
  normalizeGroup,
  normalizeRecipient,
  normalizeSecurityTest,
  normalizeUser,
  segment,
} from './record-normalizers';
import type { ListPagination, ReportingClientOptions, VerifyCredentialsResult } from './reporting-client-options';
export type { ListPagination, ReportingClientOptions, VerifyCredentialsResult } from './reporting-client-options';
import type {
  KnowBe4Account,
  KnowBe4CursorPage,
  KnowBe4Enrollment,
  KnowBe4Group,
  KnowBe4PhishingCampaign,
  KnowBe4Policy,
  KnowBe4RiskScoreHistoryEntry,
  KnowBe4SecurityTest,
  KnowBe4SecurityTestRecipient,
  KnowBe4StorePurchase,
  KnowBe4TrainingCampaign,
  KnowBe4User,
  ListEnrollmentsQuery,
  ListGroupsQuery,
  ListTrainingCampaignsQuery,
  ListUsersQuery,
  PerPageQuery,
  RiskScoreHistoryQuery,
} from './types';

export function wrongRegionHint(region: KnowBe4Region): string {
  return (
    `the API key was rejected by the ${region} region — if the account lives in another region, ` +
    'the region is probably wrong'
  );
}

/**
 * Read-only client for one account's KnowBe4 Reporting API, in that account's region.
 * Every method paces to the account's limits, retries 429/5xx/network failures with jittered backoff and
 * throws the typed errors of `errors.ts`. List methods return a lazy `PagedList`.
 */
export class ReportingClient {
  readonly region: KnowBe4Region;
  readonly baseUrl: string;
  /** Entries dropped as dirty data (e.g. `null` inside a user array) since this client was created. */
  skippedRecords = 0;
  readonly #transport: KnowBe4Transport;
  readonly #onSkippedRecord?: SkipListener;
  readonly #pagination: ListPagination;

  constructor(options: ReportingClientOptions) {
    this.region = options.region;
    this.baseUrl = reportingBaseUrl(options.region, options.baseUrlOverride);
    if (!options.apiKey) throw new TypeError('ReportingClient needs an apiKey');
    const pacer =
      isPacer(options.pacer)
        ? options.pacer
        : (options.pacerRegistry ?? sharedRatePacers).pacerFor(options.region, options.apiKey, {
            profile: options.pacer ?? 'documented',
            licensedUsers: options.licensedUsers,
            clock: options.clock,
          });
    this.#onSkippedRecord = options.onSkippedRecord;
    this.#pagination = options.pagination ?? 'page';
    this.#transport = new KnowBe4Transport({
      api: 'reporting',
      baseUrl: this.baseUrl,
      secret: options.apiKey,
      retry: resolveRetryPolicy(options.retry),
      pacer: pacer.profile === 'off' ? undefined : pacer,
      pacing: options.pacing,
      dispatcher: options.dispatcher,
      timeoutMs: options.timeoutMs,
      userAgent: options.userAgent,
      clock: options.clock,
      onRequest: options.onRequest,
      mapError: (failure) => this.errorFor(failure),
    });
  }

  /** Upstream `x-request-id` of the latest response. */
  get lastRequestId(): string | undefined {
    return this.#transport.lastRequestId;
  }

  get pacer(): Pacer | undefined {
    return this.#transport.pacer;
  }

  // ---- account

  async getAccount(options?: CallOptions): Promise<KnowBe4Account> {
    return this.get<KnowBe4Account>('/account', undefined, options);
  }

  async getAccountRiskScoreHistory(
    query?: RiskScoreHistoryQuery,
    options?: CallOptions,
  ): Promise<KnowBe4RiskScoreHistoryEntry[]> {
    return this.getList<KnowBe4RiskScoreHistoryEntry>('/account/risk_score_history', { ...query }, options);
  }

  /** GET /account: a cheap call that proves the key works in this region. Never throws. */
  async verifyCredentials(options?: CallOptions): Promise<VerifyCredentialsResult> {
    try {
      const response = await this.#transport.send<KnowBe4Account>('GET', '/account', undefined, undefined, options);
      return { ok: true, account: response.body, requestId: response.requestId };
    } catch (error) {
      return credentialCheckFailure(error);
    }
  }

  // ---- users

  listUsers(query: ListUsersQuery = {}, options?: CallOptions): PagedList<KnowBe4User> {
    return this.pagedList<KnowBe4User>('/users', query, options, normalizeUser);
  }

  /** Pages of users as arrays (up to 500 each) — the cheapest way to walk every user. */
  pagesOfUsers(query: ListUsersQuery = {}, options?: CallOptions): AsyncIterable<KnowBe4User[]> {
    return this.listUsers(query, options).pages();
  }

  /** Every user, one record at a time. */
  users(query: ListUsersQuery = {}, options?: CallOptions): AsyncIterable<KnowBe4User> {
    return this.listUsers(query, options);
  }

  async getUser(userId: number | string, query?: { expand?: 'group' }, options?: CallOptions): Promise<KnowBe4User> {
    const user = await this.get<KnowBe4User>(`/users/${segment(userId)}`, { ...query }, options);
    normalizeUser(user);
    return user;
  }

  async getUserRiskScoreHistory(
    userId: number | string,
    query?: RiskScoreHistoryQuery,
    options?: CallOptions,
  ): Promise<KnowBe4RiskScoreHistoryEntry[]> {
    return this.getList(`/users/${segment(userId)}/risk_score_history`, { ...query }, options);
  }

  // ---- groups

  listGroups(query: ListGroupsQuery = {}, options?: CallOptions): PagedList<KnowBe4Group> {
    return this.pagedList<KnowBe4Group>('/groups', query, options, normalizeGroup);
  }

  async getGroup(groupId: number | string, options?: CallOptions): Promise<KnowBe4Group> {
    const group = await this.get<KnowBe4Group>(`/groups/${segment(groupId)}`, undefined, options);
    normalizeGroup(group);
    return group;
  }

  listGroupMembers(groupId: number | string, query: PerPageQuery = {}, options?: CallOptions): PagedList<KnowBe4User> {
    return this.pagedList<KnowBe4User>(`/groups/${segment(groupId)}/members`, query, options, normalizeUser);
  }

  async getGroupRiskScoreHistory(
    groupId: number | string,
    query?: RiskScoreHistoryQuery,
    options?: CallOptions,
  ): Promise<KnowBe4RiskScoreHistoryEntry[]> {
    return this.getList(`/groups/${segment(groupId)}/risk_score_history`, { ...query }, options);
  }

  // ---- phishing

  listPhishingCampaigns(query: PerPageQuery = {}, options?: CallOptions): PagedList<KnowBe4PhishingCampaign> {
    return this.pagedList<KnowBe4PhishingCampaign>('/phishing/campaigns', query, options);
  }

  async getPhishingCampaign(campaignId: number | string, options?: CallOptions): Promise<KnowBe4PhishingCampaign> {
    return this.get(`/phishing/campaigns/${segment(campaignId)}`, undefined, options);
  }

  listCampaignSecurityTests(
    campaignId: number | string,
    query: PerPageQuery = {},
    options?: CallOptions,
  ): PagedList<KnowBe4SecurityTest> {
    const path = `/phishing/campaigns/${segment(campaignId)}/security_tests`;
    return this.pagedList<KnowBe4SecurityTest>(path, query, options, normalizeSecurityTest);
  }

  listSecurityTests(query: PerPageQuery = {}, options?: CallOptions): PagedList<KnowBe4SecurityTest> {
    return this.pagedList<KnowBe4SecurityTest>('/phishing/security_tests', query, options, normalizeSecurityTest);
  }

  async getSecurityTest(pstId: number | string, options?: CallOptions): Promise<KnowBe4SecurityTest> {
    const test = await this.get<KnowBe4SecurityTest>(`/phishing/security_tests/${segment(pstId)}`, undefined, options);
    normalizeSecurityTest(test);
    return test;
  }

  listSecurityTestRecipients(
    pstId: number | string,
    query: PerPageQuery = {},
    options?: CallOptions,
  ): PagedList<KnowBe4SecurityTestRecipient> {
    const path = `/phishing/security_tests/${segment(pstId)}/recipients`;
    return this.pagedList<KnowBe4SecurityTestRecipient>(path, query, options, normalizeRecipient);
  }

  async getSecurityTestRecipient(
    pstId: number | string,
    userId: number | string,
    options?: CallOptions,
  ): Promise<KnowBe4SecurityTestRecipient> {
    const path = `/phishing/security_tests/${segment(pstId)}/recipients/${segment(userId)}`;
    const recipient = await this.get<KnowBe4SecurityTestRecipient>(path, undefined, options);
    normalizeRecipient(recipient);
    return recipient;
  }

  // ---- training

  listStorePurchases(query: PerPageQuery = {}, options?: CallOptions): PagedList<KnowBe4StorePurchase> {
    return this.pagedList<KnowBe4StorePurchase>('/training/store_purchases', query, options);
  }

  async getStorePurchase(storePurchaseId: number | string, options?: CallOptions): Promise<KnowBe4StorePurchase> {
    return this.get(`/training/store_purchases/${segment(storePurchaseId)}`, undefined, options);
  }

  listPolicies(query: PerPageQuery = {}, options?: CallOptions): PagedList<KnowBe4Policy> {
    return this.pagedList<KnowBe4Policy>('/training/policies', query, options);
  }

  async getPolicy(policyId: number | string, options?: CallOptions): Promise<KnowBe4Policy> {
    return this.get(`/training/policies/${segment(policyId)}`, undefined, options);
  }

  /** `exclude_percentages` defaults to true: without it KnowBe4 returns at most 10 campaigns. */
  listTrainingCampaigns(
    query: ListTrainingCampaignsQuery = {},
    options?: CallOptions,
  ): PagedList<KnowBe4TrainingCampaign> {
    const withDefault = { ...query, exclude_percentages: query.exclude_percentages ?? true };
    return this.pagedList<KnowBe4TrainingCampaign>('/training/campaigns', withDefault, options);
  }

  async getTrainingCampaign(campaignId: number | string, options?: CallOptions): Promise<KnowBe4TrainingCampaign> {
    return this.get(`/training/campaigns/${segment(campaignId)}`, undefined, options);
  }

  /** The client's pagination by default; `mode` overrides it for this list.  */
  listEnrollments(query: ListEnrollmentsQuery = {}, options?: CallOptions): PagedList<KnowBe4Enrollment> {
    const { mode = this.#pagination, ...filters } = query;
    return this.pagedList<KnowBe4Enrollment>('/training/enrollments', filters, options, normalizeEnrollment, mode);
  }

  async getEnrollment(enrollmentId: number | string, options?: CallOptions): Promise<KnowBe4Enrollment> {
    const path = `/training/enrollments/${segment(enrollmentId)}`;
    const enrollment = await this.get<KnowBe4Enrollment>(path, undefined, options);
    normalizeEnrollment(enrollment);
    return enrollment;
  }

  // ---- raw access (gateway proxy)

  /**
   * GET any path below this account's base URL; returns the parsed body with status and request id.
   * The path must be relative to `/v1` (e.g. `/users/1`); anything that could leave the base is refused.
   */
  async getRaw(path: string, query?: Query, options?: CallOptions): Promise<TransportResponse<unknown>> {
    return this.#transport.send<unknown>('GET', safeRelativePath(path), query, undefined, options);
  }

  /**
   * GET a path like `getRaw`, but the body comes back as the bytes KnowBe4 sent with a lazy `json()`: a caller
   * that fingerprints list pages parses only those that changed. Same pacing, retries and typed errors.
   */
  async getRawPage(path: string, query?: Query, options?: CallOptions): Promise<RawTransportResponse> {
    return this.#transport.sendRaw('GET', safeRelativePath(path), query, undefined, options);
  }

  /** Removes this client's secret from a value (for proxied bodies and logs). */
  redact(value: unknown): unknown {
    return this.#transport.redact(value);
  }

  toJSON(): Record<string, unknown> {
    return { client: 'ReportingClient', region: this.region, baseUrl: this.baseUrl };
  }

  toString(): string {
    return `ReportingClient { region: '${this.region}', baseUrl: '${this.baseUrl}' }`;
  }

  [inspect.custom](): string {
    return this.toString();
  }

  // ---- internals

  private async get<T>(path: string, query: Query | undefined, options: CallOptions | undefined): Promise<T> {
    return (await this.#transport.send<T>('GET', path, query, undefined, options)).body;
  }

  private async getList<T>(path: string, query: Query | undefined, options: CallOptions | undefined): Promise<T[]> {
    const body = await this.get<unknown>(path, query, options);
    if (!Array.isArray(body)) return [];
    return body.filter((entry, index) => {
      if (entry !== null && typeof entry === 'object') return true;
      this.recordSkip({ path, page: 1, index, reason: entry === null ? 'null' : 'not_an_object' });
      return false;
    }) as T[];
  }

  private pagedList<T>(
    path: string,
    query: Query & { per_page?: number },
    options: CallOptions | undefined,
    normalize?: (record: T) => void,
    pagination: ListPagination = this.#pagination,
  ): PagedList<T> {
    const perPage = clampPerPage(query.per_page);
    const base: Query = { ...query, per_page: perPage };
    if (pagination === 'cursor') {
      return new PagedList(() =>
        pagesByCursor<T>(
          path,
          (cursor) => this.get<KnowBe4CursorPage<unknown>>(path, { ...base, cursor }, options),
          (skipped) => this.recordSkip(skipped),
          normalize,
        ),
      );
    }
    return new PagedList(() =>
      pagesByNumber<T>(
        path,
        (page) => this.get<unknown>(path, { ...base, page }, options),
        (skipped) => this.recordSkip(skipped),
        normalize,
      ),
    );
  }

  private recordSkip(skipped: SkippedRecord): void {
    this.skippedRecords += 1;
    this.#onSkippedRecord?.(skipped);
  }

  private errorFor(failure: FailedResponse): KnowBe4Error {
    if (failure.status === 401 || failure.status === 403) {
      return new KnowBe4AuthError({
        ...failure.details,
        message: `${failure.details.message ?? 'KnowBe4 rejected the API key'} — ${wrongRegionHint(this.region)}`,
      });
    }
    return defaultErrorFor(failure);
  }
}
