import { inspect } from 'node:util';
import type { Dispatcher } from 'undici';
import { credentialCheckFailure, CredentialCheckFailure, KnowBe4AuthError, KnowBe4Error } from '../errors';
import type { Clock } from '../http/clock';
import { resolveRetryPolicy, RetryPolicy } from '../http/retry';
import {
  CallOptions,
  defaultErrorFor,
  FailedResponse,
  KnowBe4RequestEvent,
  KnowBe4Transport,
  Query,
  RawTransportResponse,
  TransportResponse,
} from '../http/transport';
import { AcquireOptions, isPacer, Pacer, PacerRegistry } from '../pacing/pacer';
import { PacingProfile, sharedRatePacers } from '../pacing/rate-pacer';
import { KnowBe4Region, reportingBaseUrl } from '../regions';
import { safeRelativePath } from '../http/paths';
import { clampPerPage, PagedList, pagesByCursor, pagesByNumber, SkipListener, SkippedRecord } from './pagination';
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

export interface ReportingClientOptions {
  region: KnowBe4Region;
  apiKey: string;
  /** Routes every region to `{override}/{region}/v1` (env KNOWBE4_BASE_URL_OVERRIDE, e.g. the sandbox). */
  baseUrlOverride?: string;
  /** A pacer, or a profile for the registry's pacer of this account (default `documented`). */
  pacer?: Pacer | PacingProfile;
  /**
   * Registry used when `pacer` is a profile name; defaults to the process-wide in-memory one. A
   * `SharedRatePacerRegistry` shares the account's budget with other processes.
   */
  pacerRegistry?: PacerRegistry;
  /**
   * How requests wait for the pacer: `lane` (`sync` keeps a reserved share; default `interactive`), `holder` (waiters
   * of one account are served round-robin by holder) and `maxWaitMs` (then KnowBe4PacingTimeoutError, nothing spent).
   */
  pacing?: Omit<AcquireOptions, 'signal'>;
  /** Licensed users of the account, for the daily budget (2,000 + this). */
  licensedUsers?: number;
  retry?: Partial<RetryPolicy>;
  dispatcher?: Dispatcher;
  /** Per-attempt timeout for headers and for body inactivity (default 30 s). */
  timeoutMs?: number;
  userAgent?: string;
  clock?: Clock;
  /** Called once per HTTP attempt — wire metrics or logs here. */
  onRequest?: (event: KnowBe4RequestEvent) => void;
  /** Called for every list entry dropped as dirty data (`null` in an array). */
  onSkippedRecord?: SkipListener;
  /**
   * How lists are walked: KnowBe4's `page`/`per_page` (default), or `cursor` (`cursor=true`, then
   * `_metadata.next_cursor`), which KnowBe4 announced as the successor of page numbers. Cursors also keep a walk
   * from skipping a record when another one is deleted mid-walk, which shifts page boundaries.
   */
  pagination?: ListPagination;
}

export type ListPagination = 'page' | 'cursor';

export type VerifyCredentialsResult =
  | { ok: true; account: KnowBe4Account; requestId?: string }
  | CredentialCheckFailure;

export function wrongRegionHint(region: KnowBe4Region): string {
  return (
    `the API key was rejected by the ${region} region — if the account lives in another region, ` +
    'the region is probably wrong'
  );
}

// KnowBe4 renamed adi_* to provisioning_*; older accounts still send the old names.
function normalizeUser(user: KnowBe4User): void {
  if (user.provisioning_guid === undefined && user.adi_guid !== undefined) user.provisioning_guid = user.adi_guid;
  if (user.provisioning_managed === undefined && user.adi_manageable !== undefined) {
    user.provisioning_managed = user.adi_manageable;
  }
}

function normalizeGroup(group: KnowBe4Group): void {
  if (group.provisioning_guid === undefined && group.adi_guid !== undefined) group.provisioning_guid = group.adi_guid;
}

function normalizeRecipient(recipient: KnowBe4SecurityTestRecipient): void {
  const user = recipient.user;
  if (user && user.provisioning_guid === undefined && user.active_directory_guid !== undefined) {
    user.provisioning_guid = user.active_directory_guid;
  }
}

function normalizeSecurityTest(test: KnowBe4SecurityTest): void {
  if (test.landing_page === undefined && test['landing-page'] !== undefined) test.landing_page = test['landing-page'];
}

function normalizeEnrollment(enrollment: KnowBe4Enrollment): void {
  if (enrollment.store_purchase_id === undefined && enrollment.store_purchased_id !== undefined) {
    enrollment.store_purchase_id = enrollment.store_purchased_id;
  }
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

function segment(id: number | string): string {
  return encodeURIComponent(String(id));
}
