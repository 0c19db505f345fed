import { inspect } from 'node:util';
import type { Dispatcher } from 'undici';
import { credentialCheckFailure, CredentialCheckFailure, KnowBe4AuthError, KnowBe4Error, ScimConflictError, ScimRequestError } from '../errors';
import type { Clock } from '../http/clock';
import { defaultErrorFor, FailedResponse } from '../http/error-mapping/upstream-errors';
import type { KnowBe4RequestEvent } from '../http/request-events/request-reporter';
import { resolveRetryPolicy, RetryPolicy } from '../http/retry/retry-policy';
import { CallOptions, KnowBe4Transport, TransportResponse } from '../http/transport';
import { isPacer, Pacer, PacerRegistry } from '../pacing/pacer';
import { PacingProfile, sharedRatePacers } from '../pacing/rate-pacer';
import { safeRelativePath } from '../http/paths';
import { memberValuePath, userNameEqualsFilter } from './filter';
import { SCIM_GROUP_SCHEMA, SCIM_PATCH_OP_SCHEMA, SCIM_USER_SCHEMA } from '@kb4/mapping';
import {
  ScimErrorBody,
  ScimGroup,
  ScimGroupInput,
  ScimListQuery,
  ScimListResponse,
  ScimPatchOperation,
  ScimUser,
  ScimUserInput,
} from './types';

export interface ScimClientOptions {
  /** The account's SCIM "Tenant URL" (opaque; e.g. `https://training.knowbe4.com/scim/v2` or the sandbox's). */
  baseUrl: string;
  token: string;
  /** A pacer, or a profile for a process-wide pacer keyed by this token. Default: no pacing (limits undocumented). */
  pacer?: Pacer | PacingProfile;
  pacerRegistry?: PacerRegistry;
  retry?: Partial<RetryPolicy>;
  dispatcher?: Dispatcher;
  timeoutMs?: number;
  userAgent?: string;
  clock?: Clock;
  onRequest?: (event: KnowBe4RequestEvent) => void;
}

export type ScimVerifyCredentialsResult =
  | { ok: true; totalUsers: number; requestId?: string }
  | CredentialCheckFailure;

const SCIM_CONTENT_TYPE = 'application/scim+json';
const DEFAULT_SCIM_PAGE_SIZE = 100;

function scimErrorBody(body: unknown): ScimErrorBody {
  return body && typeof body === 'object' ? (body) : {};
}

/** Pure mapping of a final SCIM error answer to the typed errors. */
export function scimErrorFor(failure: FailedResponse): KnowBe4Error {
  const { scimType, detail } = scimErrorBody(failure.body);
  const details = { ...failure.details };
  if (failure.status === 401 || failure.status === 403) {
    return new KnowBe4AuthError({
      ...details,
      message: `${details.message ?? 'KnowBe4 SCIM rejected the token'} — check the SCIM token and the tenant URL`,
    });
  }
  if (failure.status === 409) return new ScimConflictError({ ...details, scimType: scimType ?? 'uniqueness' });
  if (failure.status === 400) return new ScimRequestError({ ...details, scimType });
  const error = defaultErrorFor({ ...failure, details: { ...details, message: details.message ?? detail } });
  return error;
}

function withSchemas<T extends { schemas?: string[] }>(resource: T, schema: string): T & { schemas: string[] } {
  return { ...resource, schemas: resource.schemas ?? [schema] };
}

/**
 * Client for one account's KnowBe4 SCIM 2.0 endpoint (all writes go here). Same retry/backoff and typed errors
 * as the Reporting client; SCIM errors are parsed from `urn:ietf:params:scim:api:messages:2.0:Error`.
 */
export class ScimClient {
  readonly baseUrl: string;
  readonly #transport: KnowBe4Transport;

  constructor(options: ScimClientOptions) {
    if (!options.token) throw new TypeError('ScimClient needs a token');
    const pacer =
      options.pacer === undefined || isPacer(options.pacer)
        ? options.pacer
        : (options.pacerRegistry ?? sharedRatePacers).pacerFor(`scim:${options.baseUrl}`, options.token, {
            profile: options.pacer,
            clock: options.clock,
          });
    this.#transport = new KnowBe4Transport({
      api: 'scim',
      baseUrl: options.baseUrl,
      secret: options.token,
      retry: resolveRetryPolicy(options.retry),
      pacer: pacer?.profile === 'off' ? undefined : pacer,
      dispatcher: options.dispatcher,
      timeoutMs: options.timeoutMs,
      userAgent: options.userAgent,
      contentType: SCIM_CONTENT_TYPE,
      clock: options.clock,
      onRequest: options.onRequest,
      mapError: scimErrorFor,
    });
    this.baseUrl = this.#transport.baseUrl;
  }

  get lastRequestId(): string | undefined {
    return this.#transport.lastRequestId;
  }

  // ---- users

  /**
   * POST /Users. Idempotent under retries: if an attempt reached KnowBe4 but its answer was lost and the retry
   * meets 409, the user that attempt created is returned. A 409 on the first attempt is a real conflict and
   * throws ScimConflictError carrying the existing user.
   */
  async createUser(user: ScimUserInput, options?: CallOptions): Promise<ScimUser> {
    try {
      return await this.body<ScimUser>('POST', '/Users', withSchemas(user, SCIM_USER_SCHEMA), options);
    } catch (error) {
      if (!(error instanceof ScimConflictError)) throw error;
      // A failed lookup must not hide the conflict itself.
      const existing = await this.findUserByUserName(user.userName, options).catch(() => undefined);
      if (existing && error.attempts > 1) return existing;
      throw error.withExisting(existing);
    }
  }

  async getUser(id: string, options?: CallOptions): Promise<ScimUser> {
    return this.body<ScimUser>('GET', `/Users/${segment(id)}`, undefined, options);
  }

  /** The user whose userName (primary email) matches, case-insensitively per SCIM; undefined if none. */
  async findUserByUserName(userName: string, options?: CallOptions): Promise<ScimUser | undefined> {
    const page = await this.listPage<ScimUser>('/Users', { filter: userNameEqualsFilter(userName), count: 1 }, options);
    return page.Resources?.[0];
  }

  /** Every user (or every match of `filter`), paging with startIndex/count. */
  listUsers(query: Omit<ScimListQuery, 'startIndex'> = {}, options?: CallOptions): AsyncIterable<ScimUser> {
    return this.iterate<ScimUser>('/Users', query, options);
  }

  async replaceUser(id: string, user: ScimUserInput, options?: CallOptions): Promise<ScimUser> {
    return this.body<ScimUser>('PUT', `/Users/${segment(id)}`, withSchemas(user, SCIM_USER_SCHEMA), options);
  }

  async patchUser(id: string, operations: ScimPatchOperation[], options?: CallOptions): Promise<ScimUser> {
    return this.body<ScimUser>('PATCH', `/Users/${segment(id)}`, patchRequest(operations), options);
  }

  /** PATCH active=false — KnowBe4 archives the user (training history is kept). */
  async archiveUser(id: string, options?: CallOptions): Promise<ScimUser> {
    return this.patchUser(id, [{ op: 'replace', path: 'active', value: false }], options);
  }

  async reactivateUser(id: string, options?: CallOptions): Promise<ScimUser> {
    return this.patchUser(id, [{ op: 'replace', path: 'active', value: true }], options);
  }

  /** DELETE /Users/{id}; KnowBe4 archives rather than deletes. */
  async deleteUser(id: string, options?: CallOptions): Promise<void> {
    await this.#transport.send('DELETE', `/Users/${segment(id)}`, undefined, undefined, options);
  }

  // ---- groups

  async createGroup(group: ScimGroupInput, options?: CallOptions): Promise<ScimGroup> {
    return this.body<ScimGroup>('POST', '/Groups', withSchemas(group, SCIM_GROUP_SCHEMA), options);
  }

  async getGroup(id: string, options?: CallOptions): Promise<ScimGroup> {
    return this.body<ScimGroup>('GET', `/Groups/${segment(id)}`, undefined, options);
  }

  listGroups(query: Omit<ScimListQuery, 'startIndex'> = {}, options?: CallOptions): AsyncIterable<ScimGroup> {
    return this.iterate<ScimGroup>('/Groups', query, options);
  }

  async replaceGroup(id: string, group: ScimGroupInput, options?: CallOptions): Promise<ScimGroup> {
    return this.body<ScimGroup>('PUT', `/Groups/${segment(id)}`, withSchemas(group, SCIM_GROUP_SCHEMA), options);
  }

  /** PATCH /Groups/{id}. Some servers answer 204 without a body, hence the optional result. */
  async patchGroup(
    id: string,
    operations: ScimPatchOperation[],
    options?: CallOptions,
  ): Promise<ScimGroup | undefined> {
    return this.body<ScimGroup | undefined>('PATCH', `/Groups/${segment(id)}`, patchRequest(operations), options);
  }

  async addGroupMembers(
    groupId: string,
    userIds: readonly string[],
    options?: CallOptions,
  ): Promise<ScimGroup | undefined> {
    if (userIds.length === 0) return undefined;
    const value = userIds.map((id) => ({ value: id }));
    return this.patchGroup(groupId, [{ op: 'add', path: 'members', value }], options);
  }

  async removeGroupMembers(
    groupId: string,
    userIds: readonly string[],
    options?: CallOptions,
  ): Promise<ScimGroup | undefined> {
    if (userIds.length === 0) return undefined;
    const operations: ScimPatchOperation[] = userIds.map((id) => ({ op: 'remove', path: memberValuePath(id) }));
    return this.patchGroup(groupId, operations, options);
  }

  async deleteGroup(id: string, options?: CallOptions): Promise<void> {
    await this.#transport.send('DELETE', `/Groups/${segment(id)}`, undefined, undefined, options);
  }

  // ---- credentials and raw access

  /** GET /Users?count=1: proves the token and tenant URL work. Never throws. */
  async verifyCredentials(options?: CallOptions): Promise<ScimVerifyCredentialsResult> {
    try {
      const response = await this.#transport.send<ScimListResponse<ScimUser>>(
        'GET',
        '/Users',
        { count: 1 },
        undefined,
        options,
      );
      return { ok: true, totalUsers: response.body?.totalResults ?? 0, requestId: response.requestId };
    } catch (error) {
      return credentialCheckFailure(error);
    }
  }

  /** Any method on a path below the SCIM base (gateway proxy); the path cannot leave the base. */
  async requestRaw(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    query?: Record<string, string | number | boolean | undefined>,
    body?: unknown,
    options?: CallOptions,
  ): Promise<TransportResponse<unknown>> {
    return this.#transport.send<unknown>(method, safeRelativePath(path), query, body, options);
  }

  redact(value: unknown): unknown {
    return this.#transport.redact(value);
  }

  toJSON(): Record<string, unknown> {
    return { client: 'ScimClient', baseUrl: this.baseUrl };
  }

  toString(): string {
    return `ScimClient { baseUrl: '${this.baseUrl}' }`;
  }

  [inspect.custom](): string {
    return this.toString();
  }

  // ---- internals

  private async body<T>(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    payload: unknown,
    options: CallOptions | undefined,
  ): Promise<T> {
    return (await this.#transport.send<T>(method, path, undefined, payload, options)).body;
  }

  private async listPage<T>(path: string, query: ScimListQuery, options?: CallOptions): Promise<ScimListResponse<T>> {
    const response = await this.#transport.send<ScimListResponse<T>>('GET', path, { ...query }, undefined, options);
    return response.body ?? { schemas: [], totalResults: 0, Resources: [] };
  }

  private async *iterate<T>(
    path: string,
    query: Omit<ScimListQuery, 'startIndex'>,
    options?: CallOptions,
  ): AsyncGenerator<T, void, undefined> {
    const count = query.count ?? DEFAULT_SCIM_PAGE_SIZE;
    let startIndex = 1;
    for (;;) {
      const page = await this.listPage<T>(path, { ...query, count, startIndex }, options);
      const resources = page.Resources ?? [];
      for (const resource of resources) {
        if (resource !== null && typeof resource === 'object') yield resource;
      }
      startIndex += resources.length;
      // totalResults bounds the walk; an empty page ends it even if totalResults is wrong.
      if (resources.length === 0 || startIndex > page.totalResults) return;
    }
  }
}

function patchRequest(operations: ScimPatchOperation[]): { schemas: string[]; Operations: ScimPatchOperation[] } {
  return { schemas: [SCIM_PATCH_OP_SCHEMA], Operations: operations };
}

function segment(id: string): string {
  return encodeURIComponent(id);
}
