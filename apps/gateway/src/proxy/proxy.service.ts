import { Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { TransportResponse } from '@kb4/knowbe4';
import { ApiError, requestIdOf } from '@kb4/platform';
import { AccountScope } from '../accounts/account-scope';
import { KnowBe4ClientFactory } from '../accounts/knowbe4-clients';
import { knowbe4PacingOutcomes, toRemoteApiError } from '../http/remote-errors';
import { parseProxyUrl } from './proxy-path';

const ALLOWED_METHODS = {
  reporting: ['GET'],
  scim: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
} as const;

type ScimMethod = (typeof ALLOWED_METHODS.scim)[number];

@Injectable()
export class ProxyService {
  constructor(
    @Inject(AccountScope) private readonly scope: AccountScope,
    @Inject(KnowBe4ClientFactory) private readonly clients: KnowBe4ClientFactory,
  ) {}

  /** Forwards one request; the upstream status and body come back as they are, errors in design.md's shape. */
  async forward(workspaceId: string, request: Request, response: Response): Promise<void> {
    // a caller that hangs up gives its place in the account's queue back, and nothing is sent or spent for it;
    // it may already be gone before we get here (auth and the account lookup take time under load)
    const callerGone = new AbortController();
    const onClose = (): void => {
      if (!response.writableFinished) callerGone.abort(new Error('the proxy caller closed the connection'));
    };
    response.once('close', onClose);
    if (request.socket.destroyed) onClose();
    try {
      await this.forwardUnlessGone(workspaceId, request, response, callerGone.signal);
    } finally {
      response.off('close', onClose);
    }
  }

  private async forwardUnlessGone(workspaceId: string, request: Request, response: Response, callerGone: AbortSignal): Promise<void> {
    const target = parseProxyUrl(request.originalUrl);
    const account = await this.scope.requireAccount(workspaceId, target.accountId);
    const allowed: readonly string[] = ALLOWED_METHODS[target.surface];
    if (!allowed.includes(request.method)) {
      response.setHeader('allow', allowed.join(', '));
      throw new ApiError(405, `${request.method} is not allowed on the ${target.surface} proxy (allowed: ${allowed.join(', ')})`);
    }
    const { reporting, scim } = this.clients.forAccount(account);
    const options = { requestId: requestIdOf(request), signal: callerGone };
    let upstream: TransportResponse<unknown>;
    try {
      upstream =
        target.surface === 'reporting'
          ? await reporting.getRaw(target.path, target.query, options)
          : await scim.requestRaw(request.method as ScimMethod, target.path, target.query, this.bodyOf(request), options);
    } catch (error) {
      if (callerGone.aborted) {
        knowbe4PacingOutcomes.inc({ outcome: 'caller_gone' });
        return; // nobody is left to answer
      }
      if (error instanceof TypeError) throw new ApiError(400, 'proxy path refused by the client');
      throw toRemoteApiError(error, `KnowBe4 ${target.surface} answered with an error`);
    }
    const client = target.surface === 'reporting' ? reporting : scim;
    if (upstream.requestId) response.setHeader('x-upstream-request-id', upstream.requestId);
    if (upstream.body === undefined) {
      response.status(upstream.status).end();
      return;
    }
    response.status(upstream.status).json(client.redact(upstream.body));
  }

  private bodyOf(request: Request): unknown {
    if (request.method === 'GET' || request.method === 'DELETE') return undefined;
    const body: unknown = request.body;
    return body !== null && typeof body === 'object' && Object.keys(body).length > 0 ? body : undefined;
  }
}
