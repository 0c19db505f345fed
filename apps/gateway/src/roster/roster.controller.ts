import { Body, Controller, Get, HttpCode, Inject, Param, Put, Query, Req, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { RequiresApiKey } from '../auth/api-key.guard';
import { CurrentWorkspace } from '../auth/current-workspace.decorator';
import { ErrorResponseDto } from '../http/error-response.dto';
import { ROSTER_CSV_COLUMNS } from './roster-csv';
import type { RosterPlan } from './roster-planner';
import {
  RosterAccountQuery,
  RosterItemListDto,
  RosterItemsQuery,
  RosterPlanResponseDto,
  RosterQuery,
  RosterRunDetailDto,
  RosterRunListDto,
  RosterRunListQuery,
  RosterRunResponseDto,
  RosterSettingsDto,
} from './roster.dto';
import { RosterRunView, RosterService } from './roster.service';

const RUN_ID = { name: 'id', description: 'Roster run id (from PUT /unified/user-directory/roster)', schema: { type: 'string', format: 'uuid' }, example: '5d0b6a8e-8f65-4c8e-b1b8-3a1f1c2d9e77' } as const;

const ROSTER_DESCRIPTION = [
  'The full list of people who should exist in this KnowBe4 account (desired state). The gateway plans against the mirror and either answers the plan (`dry_run=true`, 200) or applies it as one roster run (202): creates, updates of only the changed attributes, reactivations, archives of the people left out, and membership changes.',
  '- Bodies (streamed, never held whole): `application/json` `{"users": [<unified user write body with groups: [{name}]>]}`, `application/x-ndjson` (one such user a line), or `text/csv` with a header row of these columns: ' + ROSTER_CSV_COLUMNS.join(', ') + ' (`groups` is `;`-separated names; an empty cell clears the field, an absent column leaves it alone; `employee_number` is `external_id`).',
  '- Matching: employee number (`external_id`) first, then email, case-insensitively. Fields a row leaves out are not managed. `status` is not accepted: listed people are active, the others archived.',
  '- Groups: the groups a roster names are the memberships it manages; memberships in groups it never names are left alone. Every named group must exist as a console group (unknown names and smart groups are refused, not created).',
  '- Exclusions (PUT /unified/user-directory/roster-settings): matching people are never archived or changed.',
  '- Refused with every bad row named (`details.errors[]`: line, field, reason; duplicates name every line) and nothing applied: 422. Guard rail: archiving more than ROSTER_MAX_ARCHIVE_SHARE (default 10%) of the active users or more than ROSTER_MAX_ARCHIVE_COUNT people answers 409 with the plan\'s numbers unless `force=true`.',
  '- Limits: ROSTER_MAX_ROWS rows, ROSTER_MAX_BODY_BYTES bytes, ROSTER_MAX_ROW_BYTES characters per row (413); UTF-8 only.',
].join('\n');

/** Desired-state roster sync (issue 13): the upload, the account's exclusions, and roster runs. */
@ApiTags('roster')
@RequiresApiKey('directory:read')
@ApiNotFoundResponse({ description: 'Integrated account or roster run not found in this workspace', type: ErrorResponseDto })
@ApiBadRequestResponse({ description: 'Invalid parameter or body', type: ErrorResponseDto })
@Controller()
export class RosterController {
  constructor(@Inject(RosterService) private readonly roster: RosterService) {}

  @Put('unified/user-directory/roster')
  @RequiresApiKey('directory:write')
  @HttpCode(202)
  @ApiOperation({ operationId: 'unified_roster_put', summary: 'Sync the directory to a roster (desired state): plan, dry run, or run', description: ROSTER_DESCRIPTION })
  @ApiConsumes('application/json', 'application/x-ndjson', 'text/csv')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['users'],
      properties: { users: { type: 'array', items: { type: 'object' }, description: 'Everyone who should exist: unified user write bodies with groups: [{name}]' } },
      example: { users: [{ username: 'ada.lovelace@example.com', first_name: 'Ada', external_id: 'E1001', department: 'Engineering', groups: [] }] },
    },
  })
  @ApiOkResponse({ description: 'dry_run=true: the plan', type: RosterPlanResponseDto })
  @ApiAcceptedResponse({ description: 'The roster run applying the plan; poll GET /roster-runs/{id}', type: RosterRunResponseDto })
  @ApiConflictResponse({ description: 'The archive guard rail refused the plan (send force=true), or another roster run of the account is running', type: ErrorResponseDto })
  @ApiUnprocessableEntityResponse({ description: 'Rows that cannot be applied, each named; nothing was changed', type: ErrorResponseDto })
  @ApiPayloadTooLargeResponse({ description: 'Body, row or row count over the limits', type: ErrorResponseDto })
  @ApiUnsupportedMediaTypeResponse({ description: 'Not JSON, NDJSON or CSV in UTF-8', type: ErrorResponseDto })
  async upload(
    @CurrentWorkspace() workspaceId: string,
    @Query() query: RosterQuery,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<{ plan: RosterPlan } | { roster_run: RosterRunView }> {
    const answer = await this.roster.upload(workspaceId, query, request);
    if ('plan' in answer) response.status(200);
    return answer;
  }

  @Get('unified/user-directory/roster-settings')
  @ApiTags('roster')
  @ApiOperation({ operationId: 'unified_roster_settings_get', summary: 'The account\'s roster exclusions' })
  @ApiOkResponse({ type: RosterSettingsDto })
  getSettings(@CurrentWorkspace() workspaceId: string, @Query() query: RosterAccountQuery): Promise<{ exclude: Record<string, unknown> }> {
    return this.roster.exclusions(workspaceId, query.integrated_account_id);
  }

  @Put('unified/user-directory/roster-settings')
  @RequiresApiKey('directory:write')
  @ApiOperation({ operationId: 'unified_roster_settings_put', summary: 'Replace the account\'s roster exclusions: people (by email, domain or group) a roster never archives or changes' })
  @ApiOkResponse({ type: RosterSettingsDto })
  putSettings(@CurrentWorkspace() workspaceId: string, @Query() query: RosterAccountQuery, @Body() body: RosterSettingsDto): Promise<{ exclude: Record<string, unknown> }> {
    return this.roster.saveExclusions(workspaceId, query.integrated_account_id, body.exclude);
  }

  @Get('roster-runs')
  @ApiOperation({ operationId: 'roster_runs_list', summary: 'Roster runs, newest first' })
  @ApiOkResponse({ type: RosterRunListDto })
  list(@CurrentWorkspace() workspaceId: string, @Query() query: RosterRunListQuery): Promise<{ result: RosterRunView[]; next_cursor: string | null; result_count: number }> {
    return this.roster.listRuns(workspaceId, query);
  }

  @Get('roster-runs/:id')
  @ApiOperation({ operationId: 'roster_runs_get', summary: 'A roster run: its plan, progress (planned / done / failed) and per-person errors' })
  @ApiParam(RUN_ID)
  @ApiOkResponse({ type: RosterRunDetailDto })
  get(@CurrentWorkspace() workspaceId: string, @Param('id') id: string): Promise<RosterRunView & { errors: Array<Record<string, unknown>> }> {
    return this.roster.getRunDetail(workspaceId, id);
  }

  @Get('roster-runs/:id/items')
  @ApiOperation({ operationId: 'roster_runs_items', summary: 'The whole plan of a roster run, one change an item, with each operation\'s state' })
  @ApiParam(RUN_ID)
  @ApiOkResponse({ type: RosterItemListDto })
  items(@CurrentWorkspace() workspaceId: string, @Param('id') id: string, @Query() query: RosterItemsQuery): Promise<{ result: Array<Record<string, unknown>>; next_cursor: string | null; result_count: number }> {
    return this.roster.listItems(workspaceId, id, query);
  }
}
