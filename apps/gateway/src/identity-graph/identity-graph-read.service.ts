import { Inject, Injectable } from '@nestjs/common';
import { toUnifiedEnrollment } from '@kb4/mapping';
import { DirectoryReadRepository, GraphPageRequest, IdentityGraphReadRepository, KeysetPosition, Page, TimeRange } from '@kb4/persistence';
import { ApiError } from '@kb4/platform';
import { AccountScope } from '../accounts/account-scope';
import { GatewayConfig } from '../config/gateway.config';
import { CursorCodec, queryFingerprint, readNextCursor } from '../directory/cursor';
import { RECORD_ID, UnifiedListParams, UnifiedReadParams } from '../directory/directory-query.dto';
import { listEnvelope } from '../directory/list-envelope';
import {
  isKnowBe4Id,
  ListPhishingCampaignsQuery,
  ListPhishingRecipientsQuery,
  ListPhishingSecurityTestsQuery,
  ListRiskScoreHistoryQuery,
  ListTrainingEnrollmentsQuery,
  UserLookupParams,
} from './identity-graph-query.dto';

const DEFAULT_LIMIT = 50;
/** Unified enrollment status → KnowBe4's status texts (lower-cased, as the mirror keys them). */
const STATUS_KEYS: Record<string, string[]> = { not_started: ['not started'], in_progress: ['in progress'], passed: ['passed', 'completed'], past_due: ['past due'] };

const notFound = (what: string): ApiError => new ApiError(404, `${what} not found in this integrated account`);

function timeRangeOf(query: UnifiedListParams): TimeRange | undefined {
  const range: TimeRange = {};
  if (query['updated_at[gte]']) range.gte = new Date(query['updated_at[gte]']).toISOString();
  if (query['updated_at[gt]']) range.gt = new Date(query['updated_at[gt]']).toISOString();
  if (query['updated_at[lt]']) range.lt = new Date(query['updated_at[lt]']).toISOString();
  if (query['updated_at[lte]']) range.lte = new Date(query['updated_at[lte]']).toISOString();
  return Object.keys(range).length ? range : undefined;
}

function projectionOf(query: UnifiedReadParams): { includeRemoteData: boolean; excludeFields: string[] } {
  const excluded = [...(query['truto_exclude_fields[]'] ?? []), ...(query.truto_exclude_fields ?? [])];
  return { includeRemoteData: query.truto_ignore_remote_data !== true, excludeFields: [...new Set(excluded)].sort() };
}

/**
 * The identity graph over the mirror the poller keeps (no KnowBe4 request, no budget spent): training enrollments,
 * phishing campaigns, security tests and their recipients, risk-score history of users, groups and the account.
 * Lists are Truto's envelope with opaque cursors bound to their query, like users and groups.
 */
@Injectable()
export class IdentityGraphReadService {
  private readonly cursors: CursorCodec;

  constructor(
    @Inject(IdentityGraphReadRepository) private readonly graph: IdentityGraphReadRepository,
    @Inject(DirectoryReadRepository) private readonly directory: DirectoryReadRepository,
    @Inject(AccountScope) private readonly scope: AccountScope,
    @Inject(GatewayConfig) config: GatewayConfig,
  ) {
    this.cursors = CursorCodec.fromConfig(config);
  }

  async listEnrollments(workspaceId: string, query: ListTrainingEnrollmentsQuery): Promise<string> {
    const accountId = await this.scope.assertAccount(workspaceId, query.integrated_account_id);
    const user = await this.userFilter(accountId, query);
    if (user === null) return this.empty();
    const filters = { userRemoteId: user, statusKeys: query.status ? STATUS_KEYS[query.status] : undefined, campaignRemoteId: query.campaign_id, updatedAt: timeRangeOf(query) };
    return this.list(workspaceId, accountId, 'training_enrollments', query, filters, async (request) => {
      const { rows, hasMore } = await this.graph.listEnrollments(request, filters);
      return { rows: rows.map((row) => ({ seq: row.seq, sortValue: null, json: this.enrollmentJson(row.record, row.updatedAt, request) })), hasMore };
    });
  }

  async getEnrollment(workspaceId: string, id: string, query: UnifiedReadParams): Promise<string> {
    const accountId = await this.scope.assertAccount(workspaceId, query.integrated_account_id);
    const row = isKnowBe4Id(id) ? await this.graph.findEnrollment(accountId, id) : null;
    if (!row) throw notFound('training enrollment');
    return this.enrollmentJson(row.record, row.updatedAt, projectionOf(query));
  }

  async listCampaigns(workspaceId: string, query: ListPhishingCampaignsQuery): Promise<string> {
    const accountId = await this.scope.assertAccount(workspaceId, query.integrated_account_id);
    const filters = { updatedAt: timeRangeOf(query) };
    return this.list(workspaceId, accountId, 'phishing_campaigns', query, filters, (request) => this.graph.listCampaigns(request, filters));
  }

  async getCampaign(workspaceId: string, id: string, query: UnifiedReadParams): Promise<string> {
    return this.getRecord(workspaceId, 'directory_phishing_campaigns', 'phishing campaign', id, query);
  }

  async listSecurityTests(workspaceId: string, query: ListPhishingSecurityTestsQuery): Promise<string> {
    const accountId = await this.scope.assertAccount(workspaceId, query.integrated_account_id);
    const filters = { campaignRemoteId: query.campaign_id, updatedAt: timeRangeOf(query) };
    return this.list(workspaceId, accountId, 'phishing_security_tests', query, filters, (request) => this.graph.listSecurityTests(request, filters));
  }

  async getSecurityTest(workspaceId: string, id: string, query: UnifiedReadParams): Promise<string> {
    return this.getRecord(workspaceId, 'directory_security_tests', 'phishing security test', id, query);
  }

  async listRecipients(workspaceId: string, testId: string, query: ListPhishingRecipientsQuery): Promise<string> {
    const accountId = await this.scope.assertAccount(workspaceId, query.integrated_account_id);
    if (!isKnowBe4Id(testId) || !(await this.graph.securityTestExists(accountId, testId))) throw notFound('phishing security test');
    const user = await this.userFilter(accountId, query);
    if (user === null) return this.empty();
    const filters = { testRemoteId: testId, userRemoteId: user, result: query.result, updatedAt: timeRangeOf(query) };
    return this.list(workspaceId, accountId, `recipients:${testId}`, query, filters, (request) => this.graph.listRecipients(request, filters));
  }

  async listUserRiskHistory(workspaceId: string, userId: string, query: ListRiskScoreHistoryQuery): Promise<string> {
    const accountId = await this.scope.assertAccount(workspaceId, query.integrated_account_id);
    const remoteId = RECORD_ID.test(userId) ? await this.directory.userRemoteIdOf(accountId, userId) : undefined;
    if (remoteId === undefined) throw notFound('user');
    // created through SCIM and not yet seen by a sync: KnowBe4 has no history for it yet
    if (remoteId === null) return this.empty();
    return this.riskHistory(workspaceId, accountId, { type: 'user', remoteId }, query);
  }

  async listGroupRiskHistory(workspaceId: string, groupId: string, query: ListRiskScoreHistoryQuery): Promise<string> {
    const accountId = await this.scope.assertAccount(workspaceId, query.integrated_account_id);
    const remoteId = RECORD_ID.test(groupId) ? await this.directory.groupRemoteIdOf(accountId, groupId) : undefined;
    if (remoteId === undefined) throw notFound('group');
    if (remoteId === null) return this.empty();
    return this.riskHistory(workspaceId, accountId, { type: 'group', remoteId }, query);
  }

  async listAccountRiskHistory(workspaceId: string, query: ListRiskScoreHistoryQuery): Promise<string> {
    const accountId = await this.scope.assertAccount(workspaceId, query.integrated_account_id);
    return this.riskHistory(workspaceId, accountId, { type: 'account', remoteId: '0' }, query);
  }

  private riskHistory(workspaceId: string, accountId: string, subject: { type: 'account' | 'group' | 'user'; remoteId: string }, query: ListRiskScoreHistoryQuery): Promise<string> {
    const filters = { updatedAt: timeRangeOf(query) };
    return this.list(workspaceId, accountId, `risk:${subject.type}:${subject.remoteId}`, query, filters, (request) => this.graph.listRiskScores(request, subject, filters));
  }

  /** The Reporting id of the user a lookup names; undefined: no lookup; null: nobody (an empty list, not an error). */
  private async userFilter(accountId: string, query: UserLookupParams): Promise<string | null | undefined> {
    const given = [query.user_id, query.email, query.employee_number].filter((v) => v !== undefined);
    if (given.length === 0) return undefined;
    if (given.length > 1) throw new ApiError(400, 'give one of user_id, email and employee_number', [{ field: 'user_id', location: 'query', errors: ['only one user lookup at a time'] }]);
    if (query.user_id !== undefined) return (await this.directory.userRemoteIdOf(accountId, query.user_id)) ?? null;
    const page = await this.directory.listUsers(
      { accountId, sort: { field: 'seq', descending: false }, limit: 2, includeRemoteData: false, excludeFields: [] },
      query.email !== undefined ? { email: query.email } : { externalId: query.employee_number },
    );
    // an employee number two users share names nobody in particular
    return page.rows.length === 1 ? (page.rows[0].remoteId ?? null) : null;
  }

  private async getRecord(workspaceId: string, table: 'directory_phishing_campaigns' | 'directory_security_tests', what: string, id: string, query: UnifiedReadParams): Promise<string> {
    const accountId = await this.scope.assertAccount(workspaceId, query.integrated_account_id);
    const json = isKnowBe4Id(id) ? await this.graph.findRecord(table, accountId, id, projectionOf(query)) : null;
    if (json === null) throw notFound(what);
    return json;
  }

  private enrollmentJson(raw: Record<string, unknown>, updatedAt: string, projection: { includeRemoteData: boolean; excludeFields: string[] }): string {
    const mapped = toUnifiedEnrollment(raw);
    // the poller stores only enrollments with an id, so a stored one always maps
    const record: Record<string, unknown> = mapped.ok ? { ...mapped.record, updated_at: updatedAt } : { id: null, updated_at: updatedAt };
    if (projection.includeRemoteData) record.remote_data = raw;
    for (const field of projection.excludeFields) delete record[field];
    return JSON.stringify(record);
  }

  private empty(): string {
    return listEnvelope({ rows: [], hasMore: false }, undefined, () => '');
  }

  private async list<F>(workspaceId: string, accountId: string, resource: string, query: UnifiedListParams, filters: F, read: (request: GraphPageRequest) => Promise<Page>): Promise<string> {
    const projection = projectionOf(query);
    const limit = query.limit ?? DEFAULT_LIMIT;
    const fingerprint = queryFingerprint({ workspaceId, accountId, resource, filters, sort: { field: 'seq', descending: false }, limit, projection });
    let position: KeysetPosition | undefined;
    if (query.next_cursor !== undefined) position = readNextCursor(() => this.cursors.decode(query.next_cursor!, fingerprint));
    const page = await read({ accountId, position, limit, ...projection });
    return listEnvelope(page, position, (p) => this.cursors.encode(p, fingerprint));
  }
}
