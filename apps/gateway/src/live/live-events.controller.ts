import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiKeyAuthenticator } from '../auth/api-key-authenticator';
import { RequiresApiKey } from '../auth/api-key.guard';
import { CurrentWorkspace } from '../auth/current-workspace.decorator';
import { bearerTokenOf } from '../auth/request-context';
import { sseFrame } from './live-change';
import { LiveEventHub } from './live-event-hub';

const HEARTBEAT_MS = 15_000;

const STREAM_EXAMPLE = [
  'retry: 3000',
  '',
  'event: ready',
  'data: {"topics":["knowbe4.sync.runs","knowbe4.roster.runs","knowbe4.provisioning.results"]}',
  '',
  'event: change',
  'data: {"id":"5c1d2e3f-0b6f-4a1e-9c43-2f0d7b1de0a1","type":"knowbe4.operation.succeeded","time":"2026-11-28T08:00:00.000Z","integrated_account_id":"0b6f3c57-5d55-4a1e-9c43-2f0d7b1de0a1","operation_id":"3f2b8c1e-6a4d-4f0e-9b7a-5c1d2e3f4a5b"}',
  '',
].join('\n');

/** Server-Sent Events for consoles: what changed in this workspace, as it happens. */
@ApiTags('operations')
@Controller('events')
export class LiveEventsController {
  constructor(
    @Inject(LiveEventHub) private readonly hub: LiveEventHub,
    @Inject(ApiKeyAuthenticator) private readonly authenticator: ApiKeyAuthenticator,
  ) {}

  @Get('stream')
  @RequiresApiKey('directory:read')
  @ApiOperation({
    operationId: 'live_events_stream',
    summary: 'Server-Sent Events: sync runs, roster runs and operation outcomes of this workspace as they happen',
    description: [
      'A `text/event-stream` that stays open. `event: ready` once the gateway is consuming (re-read what you show then: events',
      'before it are not replayed); then one `event: change` per sync-run, roster-run or operation-result event of an',
      'account of this workspace — a summary `{id, type, time, integrated_account_id, operation_id?, sync_run_id?,',
      'roster_run_id?}` naming what to read again; comments (`: keep-alive`) every 15 s. Send the API key in the',
      'Authorization header (read the stream with fetch, e.g. @microsoft/fetch-event-source), never in the URL.',
      'Every gateway replica runs one Kafka consumer for all its streams.',
    ].join(' '),
  })
  @ApiOkResponse({ description: 'The stream', content: { 'text/event-stream': { schema: { type: 'string' }, example: STREAM_EXAMPLE } } })
  stream(@CurrentWorkspace() workspaceId: string, @Req() request: Request, @Res() response: Response): void {
    response.status(200);
    response.setHeader('content-type', 'text/event-stream; charset=utf-8');
    response.setHeader('cache-control', 'no-cache, no-transform');
    response.setHeader('x-accel-buffering', 'no');
    response.flushHeaders();
    response.write('retry: 3000\n\n');
    const subscription = this.hub.subscribe(workspaceId, { deliver: (change) => response.write(sseFrame('change', change)), close: () => response.end() });
    const token = bearerTokenOf(request);
    const close = () => {
      clearInterval(heartbeat);
      subscription.unsubscribe();
    };
    // an open stream outlives the request that authenticated it: each heartbeat checks the key is still valid
    const heartbeat = setInterval(() => {
      void this.stillValid(token).then((valid) => {
        if (valid) return void response.write(': keep-alive\n\n');
        response.write(sseFrame('revoked', { message: 'the API key was revoked; sign in again' }));
        close();
        response.end();
      });
    }, HEARTBEAT_MS);
    request.on('close', close);
    subscription.joined.then(
      () => response.write(sseFrame('ready', { topics: ['knowbe4.sync.runs', 'knowbe4.roster.runs', 'knowbe4.provisioning.results'] })),
      () => {
        // the broker is unreachable: the client retries (retry: 3000) and gets its ready once it is back
        response.write(sseFrame('unavailable', { message: 'live events are unavailable right now; retrying' }));
        close();
        response.end();
      },
    );
  }

  /** False only when the key is known to be gone; a lookup that fails (Postgres away) keeps the stream. */
  private async stillValid(token: string | undefined): Promise<boolean> {
    if (!token) return false;
    return (await this.authenticator.authenticate(token).catch(() => 'unknown' as const)) !== null;
  }
}
