import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadGatewayResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { requestIdOf } from '@kb4/platform';
import { RequiresApiKey } from '../auth/api-key.guard';
import { CurrentWorkspace } from '../auth/current-workspace.decorator';
import { ErrorResponseDto } from '../http/error-response.dto';
import { NoQueryParams } from '../http/no-query.dto';
import {
  CreateIntegratedAccountDto,
  IntegratedAccountDetailDto,
  IntegratedAccountDto,
  IntegratedAccountListDto,
  IntegratedAccountListQuery,
  SyncRunDto,
  SyncRunListDto,
  SyncRunListQuery,
  toAccountDto,
  toSyncRunDto,
  UpdateIntegratedAccountDto,
} from './integrated-account.dto';
import { IntegratedAccountsService } from './integrated-accounts.service';
import { KnowBe4BudgetService } from './knowbe4-budget.service';
import { SyncLagService } from './sync-lag.service';

const KNOWBE4_UNREACHABLE = 'KnowBe4 could not be reached or answered 5xx while the credentials were checked; nothing was saved, try again';
const ID_PARAM = { name: 'id', description: 'Integrated account id', format: 'uuid' } as const;

@ApiTags('integrated-accounts')
@RequiresApiKey('accounts:manage') // reads of accounts below need only directory:read
@ApiNotFoundResponse({ description: 'No such account in this workspace', type: ErrorResponseDto })
@Controller('integrated-accounts')
export class IntegratedAccountsController {
  constructor(
    @Inject(IntegratedAccountsService) private readonly accounts: IntegratedAccountsService,
    @Inject(KnowBe4BudgetService) private readonly budget: KnowBe4BudgetService,
    @Inject(SyncLagService) private readonly lag: SyncLagService,
  ) {}

  @Post()
  @ApiOperation({
    operationId: 'integrated_accounts_create',
    summary: 'Connect a KnowBe4 account',
    description: 'Checks the Reporting key (GET /v1/account) and the SCIM token (GET /Users?count=1) in the chosen region before saving. Secrets are stored encrypted and never returned.',
  })
  @ApiCreatedResponse({ type: IntegratedAccountDto })
  @ApiUnprocessableEntityResponse({ description: 'KnowBe4 rejected a credential; `details` names it and says whether the region is wrong', type: ErrorResponseDto })
  @ApiBadGatewayResponse({ description: KNOWBE4_UNREACHABLE, type: ErrorResponseDto })
  async create(
    @CurrentWorkspace() workspaceId: string,
    @Body() body: CreateIntegratedAccountDto,
    @Query() _query: NoQueryParams,
    @Req() request: Request,
  ): Promise<IntegratedAccountDto> {
    return toAccountDto(await this.accounts.connect(workspaceId, body, requestIdOf(request)));
  }

  @Get()
  @RequiresApiKey('directory:read')
  @ApiOperation({ operationId: 'integrated_accounts_list', summary: 'List the workspace\'s integrated accounts' })
  @ApiOkResponse({ type: IntegratedAccountListDto })
  async list(@CurrentWorkspace() workspaceId: string, @Query() query: IntegratedAccountListQuery): Promise<IntegratedAccountListDto> {
    const page = await this.accounts.list(workspaceId, query);
    return { result: page.rows.map(toAccountDto), next_cursor: page.nextCursor, result_count: page.rows.length };
  }

  @Get(':id')
  @RequiresApiKey('directory:read')
  @ApiOperation({ operationId: 'integrated_accounts_get', summary: 'Get an integrated account' })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: IntegratedAccountDetailDto })
  async get(@CurrentWorkspace() workspaceId: string, @Param('id') id: string, @Query() _query: NoQueryParams): Promise<IntegratedAccountDetailDto> {
    const account = await this.accounts.get(workspaceId, id);
    const [budget, lag] = await Promise.all([this.budget.of(account), this.lag.of(account.id)]);
    return { ...toAccountDto(account), knowbe4_budget: budget, sync_lag: lag };
  }

  @Patch(':id')
  @ApiOperation({ operationId: 'integrated_accounts_update', summary: 'Rename, pause/resume, change the sync interval or rotate credentials' })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: IntegratedAccountDto })
  @ApiUnprocessableEntityResponse({ description: 'KnowBe4 rejected a new credential', type: ErrorResponseDto })
  @ApiBadGatewayResponse({ description: KNOWBE4_UNREACHABLE, type: ErrorResponseDto })
  async update(
    @CurrentWorkspace() workspaceId: string,
    @Param('id') id: string,
    @Body() body: UpdateIntegratedAccountDto,
    @Query() _query: NoQueryParams,
    @Req() request: Request,
  ): Promise<IntegratedAccountDto> {
    return toAccountDto(await this.accounts.update(workspaceId, id, body, requestIdOf(request)));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ operationId: 'integrated_accounts_delete', summary: 'Disconnect an account and drop its mirror' })
  @ApiParam(ID_PARAM)
  @ApiNoContentResponse()
  async remove(@CurrentWorkspace() workspaceId: string, @Param('id') id: string, @Query() _query: NoQueryParams): Promise<void> {
    await this.accounts.remove(workspaceId, id);
  }

  @Post(':id/sync')
  @ApiOperation({
    operationId: 'integrated_accounts_sync',
    summary: 'Queue a manual sync',
    description: '202 with the queued run; when a run is already queued or running, 200 with that run (one active run per account).',
  })
  @ApiParam(ID_PARAM)
  @ApiAcceptedResponse({ type: SyncRunDto })
  @ApiOkResponse({ type: SyncRunDto, description: 'A run was already active' })
  @ApiConflictResponse({ description: 'The account is paused', type: ErrorResponseDto })
  async sync(
    @CurrentWorkspace() workspaceId: string,
    @Param('id') id: string,
    @Query() _query: NoQueryParams,
    @Res({ passthrough: true }) response: Response,
  ): Promise<SyncRunDto> {
    const { run, created } = await this.accounts.requestSync(workspaceId, id);
    response.status(created ? 202 : 200);
    return toSyncRunDto(run);
  }

  @Get(':id/sync-runs')
  @RequiresApiKey('directory:read')
  @ApiOperation({ operationId: 'integrated_accounts_sync_runs', summary: 'Recent sync runs, newest first' })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: SyncRunListDto })
  async syncRuns(@CurrentWorkspace() workspaceId: string, @Param('id') id: string, @Query() query: SyncRunListQuery): Promise<SyncRunListDto> {
    const page = await this.accounts.syncRuns(workspaceId, id, query);
    return { result: page.rows.map(toSyncRunDto), next_cursor: page.nextCursor, result_count: page.rows.length };
  }
}
