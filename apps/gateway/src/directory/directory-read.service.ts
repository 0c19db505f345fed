import { Inject, Injectable } from '@nestjs/common';
import { KnowBe4NotFoundError } from '@kb4/knowbe4';
import { toUnifiedUser } from '@kb4/mapping';
import { DirectoryReadRepository, GroupSortField, KeysetPosition, Page, PageRequest, TimeRange, UserSortField } from '@kb4/persistence';
import { ApiError } from '@kb4/platform';
import { AccountScope } from '../accounts/account-scope';
import { KnowBe4ClientFactory } from '../accounts/knowbe4-clients';
import { GatewayConfig } from '../config/gateway.config';
import { toRemoteApiError } from '../http/remote-errors';
import { UserExpansions } from '../identity-graph/user-expansions';
import { CursorCodec, queryFingerprint, readNextCursor } from './cursor';
import { listEnvelope } from './list-envelope';
import {
  expansionsOf,
  GetUserQuery,
  ListGroupMembersQuery,
  ListGroupsQuery,
  ListUserGroupsQuery,
  ListUsersQuery,
  RECORD_ID,
  UnifiedListParams,
  UnifiedReadParams,
} from './directory-query.dto';

const DEFAULT_LIMIT = 50;
const NUMERIC_ID = /^[0-9]{1,18}$/;

interface Projection {
  includeRemoteData: boolean;
  excludeFields: string[];
}

function projectionOf(query: UnifiedReadParams): Projection {
  const excluded = [...(query['truto_exclude_fields[]'] ?? []), ...(query.truto_exclude_fields ?? [])];
  return { includeRemoteData: query.truto_ignore_remote_data !== true, excludeFields: [...new Set(excluded)].sort() };
}

function timeRangeOf(query: UnifiedListParams): TimeRange | undefined {
  const range: TimeRange = {};
  if (query['updated_at[gte]']) range.gte = new Date(query['updated_at[gte]']).toISOString();
  if (query['updated_at[gt]']) range.gt = new Date(query['updated_at[gt]']).toISOString();
  if (query['updated_at[lt]']) range.lt = new Date(query['updated_at[lt]']).toISOString();
  if (query['updated_at[lte]']) range.lte = new Date(query['updated_at[lte]']).toISOString();
  return Object.keys(range).length ? range : undefined;
}

function sortOf(sortBy: string | undefined): { field: string; descending: boolean } {
  if (!sortBy) return { field: 'seq', descending: false };
  const descending = sortBy.startsWith('-');
  return { field: descending ? sortBy.slice(1) : sortBy, descending };
}

function recordNotFound(kind: 'user' | 'group'): ApiError {
  return new ApiError(404, `${kind} not found in this integrated account`);
}

// Postgres data exceptions (class 22) can only come from a value we passed: the caller's input, so 400.
async function asClientErrors<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('22')) throw new ApiError(400, 'a parameter value is out of range or malformed');
    throw error;
  }
}

/**
 * The unified read API over the Postgres mirror: scoping, cursors and the JSON envelope. Record JSON comes
 * from Postgres as text and is spliced into the envelope, so a page costs no JSON parse or serialize in Node.
 */
@Injectable()
export class DirectoryReadService {
  private readonly cursors: CursorCodec;

  constructor(
    @Inject(DirectoryReadRepository) private readonly mirror: DirectoryReadRepository,
    @Inject(AccountScope) private readonly scope: AccountScope,
    @Inject(KnowBe4ClientFactory) private readonly clients: KnowBe4ClientFactory,
    @Inject(GatewayConfig) config: GatewayConfig,
    @Inject(UserExpansions) private readonly expansions: UserExpansions,
  ) {
    this.cursors = CursorCodec.fromConfig(config);
  }

  async listUsers(workspaceId: string, query: ListUsersQuery): Promise<string> {
    const accountId = await this.scope.assertAccount(workspaceId, query.integrated_account_id);
    let groupRemoteId: string | null | undefined;
    if (query.group_id !== undefined) {
      groupRemoteId = await asClientErrors(() => this.mirror.groupRemoteIdOf(accountId, query.group_id!));
      // a group the mirror does not know (or not yet synced) has no members to list
      if (!groupRemoteId) return this.envelope({ rows: [], hasMore: false }, undefined, () => '');
    }
    const filters = {
      status: query.status,
      email: query.email,
      externalId: query.external_id,
      firstName: query.first_name,
      lastName: query.last_name,
      department: query.department,
      groupRemoteId: groupRemoteId ?? undefined,
      updatedAt: timeRangeOf(query),
    };
    const expand = expansionsOf(query.expand);
    return this.listPage(workspaceId, accountId, 'users', query, filters, async (request) => {
      const page = await this.mirror.listUsers(request as PageRequest<UserSortField>, filters);
      // expand=: one statement per expanded resource for the whole page
      return expand.length ? { ...page, rows: await this.expansions.apply(accountId, page.rows, expand) } : page;
    });
  }

  async listGroupMembers(workspaceId: string, groupId: string, query: ListGroupMembersQuery): Promise<string> {
    const accountId = await this.scope.assertAccount(workspaceId, query.integrated_account_id);
    if (!RECORD_ID.test(groupId)) throw recordNotFound('group');
    const groupRemoteId = await asClientErrors(() => this.mirror.groupRemoteIdOf(accountId, groupId));
    if (groupRemoteId === undefined) throw recordNotFound('group');
    const filters = { status: query.status, groupRemoteId: groupRemoteId ?? '-1', updatedAt: timeRangeOf(query) };
    return this.listPage(workspaceId, accountId, `members:${groupRemoteId}`, query, filters, (request) => this.mirror.listUsers(request as PageRequest<UserSortField>, filters));
  }

  /** The groups a user belongs to; a user no sync has seen yet (no Reporting id) has none in the mirror. */
  async listUserGroups(workspaceId: string, userId: string, query: ListUserGroupsQuery): Promise<string> {
    const accountId = await this.scope.assertAccount(workspaceId, query.integrated_account_id);
    if (!RECORD_ID.test(userId)) throw recordNotFound('user');
    const userRemoteId = await asClientErrors(() => this.mirror.userRemoteIdOf(accountId, userId));
    if (userRemoteId === undefined) throw recordNotFound('user');
    const filters = { memberRemoteId: userRemoteId ?? '-1', updatedAt: timeRangeOf(query) };
    return this.listPage(workspaceId, accountId, `user-groups:${userRemoteId}`, query, filters, (request) => this.mirror.listGroups(request as PageRequest<GroupSortField>, filters));
  }

  async listGroups(workspaceId: string, query: ListGroupsQuery): Promise<string> {
    const accountId = await this.scope.assertAccount(workspaceId, query.integrated_account_id);
    const filters = { name: query.name, updatedAt: timeRangeOf(query) };
    return this.listPage(workspaceId, accountId, 'groups', query, filters, (request) => this.mirror.listGroups(request as PageRequest<GroupSortField>, filters));
  }

  async getUser(workspaceId: string, id: string, query: GetUserQuery, requestId?: string): Promise<string> {
    const expand = expansionsOf(query.expand);
    if (query.fresh) {
      const json = await this.getUserFresh(workspaceId, id, query, requestId);
      if (expand.length === 0) return json;
      const accountId = await this.scope.assertAccount(workspaceId, query.integrated_account_id);
      const [expanded] = await this.expansions.apply(accountId, [{ json, remoteId: (JSON.parse(json) as { id: string }).id }], expand);
      return expanded.json;
    }
    const accountId = await this.scope.assertAccount(workspaceId, query.integrated_account_id);
    if (!RECORD_ID.test(id)) throw recordNotFound('user');
    const found = await asClientErrors(() => this.mirror.findUser(accountId, id, projectionOf(query)));
    if (!found) throw recordNotFound('user');
    if (expand.length === 0) return found.json;
    const [expanded] = await this.expansions.apply(accountId, [found], expand);
    return expanded.json;
  }

  async getGroup(workspaceId: string, id: string, query: UnifiedReadParams): Promise<string> {
    const accountId = await this.scope.assertAccount(workspaceId, query.integrated_account_id);
    if (!RECORD_ID.test(id)) throw recordNotFound('group');
    const found = await asClientErrors(() => this.mirror.findGroup(accountId, id, projectionOf(query)));
    if (!found) throw recordNotFound('group');
    return found.json;
  }

  /** `?fresh=true`: the user as KnowBe4's Reporting API has it now (paced like every other call of the account). */
  private async getUserFresh(workspaceId: string, id: string, query: GetUserQuery, requestId?: string): Promise<string> {
    const account = await this.scope.requireAccount(workspaceId, query.integrated_account_id);
    if (!RECORD_ID.test(id)) throw recordNotFound('user');
    const projection = projectionOf(query);
    let remoteId = NUMERIC_ID.test(id) ? id : undefined;
    if (!remoteId) {
      const mirrored = await this.mirror.findUser(account.id, id, projection);
      if (!mirrored) throw recordNotFound('user');
      // created through SCIM and not yet seen by a sync: the Reporting API cannot be asked by SCIM id
      if (!mirrored.remoteId) return mirrored.json;
      remoteId = mirrored.remoteId;
    }
    let raw;
    try {
      raw = await this.clients.forAccount(account).reporting.getUser(remoteId, undefined, { requestId });
    } catch (error) {
      if (error instanceof KnowBe4NotFoundError) throw recordNotFound('user');
      throw toRemoteApiError(error, 'reading the user from KnowBe4 failed');
    }
    const groupIds = Array.isArray(raw.groups) ? raw.groups.filter((g): g is number => typeof g === 'number').map(String) : [];
    const user: Record<string, unknown> = { ...toUnifiedUser(raw, { groupsById: await this.mirror.groupNames(account.id, groupIds) }) };
    if (!projection.includeRemoteData) delete user.remote_data;
    for (const field of projection.excludeFields) delete user[field];
    return JSON.stringify(user);
  }

  private async listPage<F>(
    workspaceId: string,
    accountId: string,
    resource: string,
    query: UnifiedListParams & { sort_by?: string },
    filters: F,
    read: (request: PageRequest<string>) => Promise<Page>,
  ): Promise<string> {
    const projection = projectionOf(query);
    const sort = sortOf(query.sort_by);
    const limit = query.limit ?? DEFAULT_LIMIT;
    const fingerprint = queryFingerprint({ workspaceId, accountId, resource, filters, sort, limit, projection });
    let position: KeysetPosition | undefined;
    if (query.next_cursor !== undefined) position = readNextCursor(() => this.cursors.decode(query.next_cursor!, fingerprint));
    const page = await asClientErrors(() => read({ accountId, sort, position, limit, ...projection }));
    return this.envelope(page, position, (p) => this.cursors.encode(p, fingerprint));
  }

  private envelope(page: Page, position: KeysetPosition | undefined, encode: (p: KeysetPosition) => string): string {
    return listEnvelope(page, position, encode);
  }
}
