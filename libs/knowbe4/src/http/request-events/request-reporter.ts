import type { Clock } from '../clock';
import type { HttpMethod } from '../dispatch/dispatcher';

/** One HTTP attempt, reported to the metrics hook (`onRequest`). */
export interface KnowBe4RequestEvent {
  api: 'reporting' | 'scim';
  method: HttpMethod;
  /** Path below the base URL, without query string. */
  path: string;
  /** Undefined when no response arrived. */
  status?: number;
  attempt: number;
  durationMs: number;
  outcome: 'success' | 'retry' | 'failure';
  requestId?: string;
  upstreamRequestId?: string;
  errorCode?: string;
}

export type AttemptDetails = Pick<KnowBe4RequestEvent, 'status' | 'requestId' | 'upstreamRequestId' | 'errorCode'>;

/** Counts every attempt (success, retry or failure) through the optional metrics hook. */
export class RequestReporter {
  constructor(
    private readonly api: 'reporting' | 'scim',
    private readonly clock: Clock,
    private readonly onRequest?: (event: KnowBe4RequestEvent) => void,
  ) {}

  /** When an attempt began (0 without a hook: nobody measures it). */
  attemptStarted(): number {
    return this.onRequest ? this.clock.now() : 0;
  }

  report(
    method: HttpMethod,
    path: string,
    attempt: number,
    startedAt: number,
    outcome: KnowBe4RequestEvent['outcome'],
    details: AttemptDetails,
  ): void {
    if (!this.onRequest) return;
    try {
      this.onRequest({
        api: this.api,
        method,
        path,
        attempt,
        durationMs: this.clock.now() - startedAt,
        outcome,
        ...details,
      });
    } catch {
      // A broken metrics hook must never fail a KnowBe4 call.
    }
  }
}
