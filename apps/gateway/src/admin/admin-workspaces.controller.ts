import { Body, Controller, Delete, Get, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { RequiresAdminToken } from '../auth/admin-token.guard';
import { ErrorResponseDto } from '../http/error-response.dto';
import { NoQueryParams } from '../http/no-query.dto';
import {
  ApiKeyDto,
  ApiKeyListDto,
  CreateApiKeyDto,
  CreatedApiKeyDto,
  CreateWorkspaceDto,
  toApiKeyDto,
  toWorkspaceDto,
  WorkspaceDto,
  WorkspaceListDto,
  WorkspaceListQuery,
} from './admin.dto';
import { WorkspaceAdminService } from './workspace-admin.service';

const WORKSPACE_ID = { name: 'id', description: 'Workspace id', format: 'uuid', example: '5b0d6a4e-2f9a-4b8e-8a51-0c6c7f3d9e21' } as const;
const KEY_ID = { name: 'key_id', description: 'API key id (not the key itself)', format: 'uuid', example: '9c1f2e0a-7b3d-4c55-9a0e-1d2b3c4d5e6f' } as const;

/** The operator's admin API (ADMIN_TOKEN): workspaces and their scoped API keys. */
@ApiTags('admin')
@RequiresAdminToken()
@Controller('admin/workspaces')
export class AdminWorkspacesController {
  constructor(@Inject(WorkspaceAdminService) private readonly admin: WorkspaceAdminService) {}

  @Post()
  @ApiOperation({ operationId: 'admin_workspaces_create', summary: 'Create a workspace (a product team\'s tenant)' })
  @ApiCreatedResponse({ type: WorkspaceDto })
  async create(@Body() body: CreateWorkspaceDto, @Query() _query: NoQueryParams): Promise<WorkspaceDto> {
    return toWorkspaceDto(await this.admin.createWorkspace(body.name));
  }

  @Get()
  @ApiOperation({ operationId: 'admin_workspaces_list', summary: 'List workspaces, oldest first' })
  @ApiOkResponse({ type: WorkspaceListDto })
  async list(@Query() query: WorkspaceListQuery): Promise<WorkspaceListDto> {
    const page = await this.admin.listWorkspaces(query.limit ?? 100, query.next_cursor);
    return { result: page.rows.map(toWorkspaceDto), next_cursor: page.nextCursor, result_count: page.rows.length };
  }

  @Get(':id')
  @ApiOperation({ operationId: 'admin_workspaces_get', summary: 'Get a workspace' })
  @ApiParam(WORKSPACE_ID)
  @ApiOkResponse({ type: WorkspaceDto })
  @ApiNotFoundResponse({ description: 'No such workspace', type: ErrorResponseDto })
  async get(@Param('id') id: string, @Query() _query: NoQueryParams): Promise<WorkspaceDto> {
    return toWorkspaceDto(await this.admin.requireWorkspace(id));
  }

  @Post(':id/api-keys')
  @ApiOperation({
    operationId: 'admin_api_keys_create',
    summary: 'Issue an API key for a workspace',
    description: 'The response carries the key itself (`key`): it is shown only here, and stored only as a SHA-256 hash.',
  })
  @ApiParam(WORKSPACE_ID)
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  @ApiNotFoundResponse({ description: 'No such workspace', type: ErrorResponseDto })
  async createKey(@Param('id') id: string, @Body() body: CreateApiKeyDto, @Query() _query: NoQueryParams): Promise<CreatedApiKeyDto> {
    const { apiKey, key } = await this.admin.issueKey(id, body);
    return { ...toApiKeyDto(apiKey), key };
  }

  @Get(':id/api-keys')
  @ApiOperation({ operationId: 'admin_api_keys_list', summary: "List a workspace's API keys (never the keys themselves)" })
  @ApiParam(WORKSPACE_ID)
  @ApiOkResponse({ type: ApiKeyListDto })
  @ApiNotFoundResponse({ description: 'No such workspace', type: ErrorResponseDto })
  async listKeys(@Param('id') id: string, @Query() _query: NoQueryParams): Promise<ApiKeyListDto> {
    const keys = await this.admin.listKeys(id);
    return { result: keys.map(toApiKeyDto), result_count: keys.length };
  }

  @Delete(':id/api-keys/:key_id')
  @ApiOperation({
    operationId: 'admin_api_keys_revoke',
    summary: 'Revoke an API key',
    description: 'Effective at once on every gateway replica: the key answers 401 from the moment this returns. Revoking twice keeps the first revoked_at.',
  })
  @ApiParam(WORKSPACE_ID)
  @ApiParam(KEY_ID)
  @ApiOkResponse({ type: ApiKeyDto, description: 'The revoked key' })
  @ApiNotFoundResponse({ description: 'No such workspace, or no such key in it', type: ErrorResponseDto })
  async revokeKey(@Param('id') id: string, @Param('key_id') keyId: string, @Query() _query: NoQueryParams): Promise<ApiKeyDto> {
    return toApiKeyDto(await this.admin.revokeKey(id, keyId));
  }
}
