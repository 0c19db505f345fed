import { AsyncLocalStorage } from 'node:async_hooks';
import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import type { Observable } from 'rxjs';
import { requestIdOf } from '@kb4/platform';
import { principalOf } from './request-context';

/**
 * Who a request acts for, as operations record it (operations.actor); never the key itself, only its id. `request_id`
 * (the x-request-id answered) lets the audit log name the request behind each change.
 */
export type RequestActor = ({ type: 'api_key'; id: string } | { type: 'admin' }) & { request_id?: string };

const actors = new AsyncLocalStorage<RequestActor>();

/** The actor of the request being handled, for code that records what it asked for (an operation). */
export function currentRequestActor(): RequestActor | undefined {
  return actors.getStore();
}

/**
 * Makes the request's principal available to the services its handler calls (currentRequestActor), so every write
 * records who asked without each route passing it along. Nest binds `next.handle()` to the async context it is
 * called in, so the handler runs inside this one.
 */
@Injectable()
export class RequestActorInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const principal = principalOf(context.switchToHttp().getRequest<Request>());
    if (!principal) return next.handle();
    const request = context.switchToHttp().getRequest<Request>();
    const requestId = requestIdOf(request);
    const actor: RequestActor = {
      ...(principal.kind === 'api-key' ? { type: 'api_key' as const, id: principal.keyId } : { type: 'admin' as const }),
      ...(requestId ? { request_id: requestId } : {}),
    };
    return actors.run(actor, () => next.handle());
  }
}
