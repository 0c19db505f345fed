import { Controller, Delete, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { RequiresApiKey } from '../auth/api-key.guard';
import { CurrentWorkspace } from '../auth/current-workspace.decorator';
import { ErrorResponseDto } from '../http/error-response.dto';
import { NoQueryParams } from '../http/no-query.dto';
import { ApiKeyDto, ApiKeyListDto, toApiKeyDto } from './admin.dto';
import { WorkspaceAdminService } from './workspace-admin.service';

/**
 * A workspace's own view of its API keys, for a key with accounts:manage: list and revoke (e.g. a leaked key), never
 * issue — a key cannot mint a key with more scopes than it has; issuing is the operator's (admin API).
 */
@ApiTags('api-keys')
@RequiresApiKey('accounts:manage')
@Controller('api-keys')
export class WorkspaceApiKeysController {
  constructor(@Inject(WorkspaceAdminService) private readonly admin: WorkspaceAdminService) {}

  @Get()
  @ApiOperation({ operationId: 'api_keys_list', summary: "List this workspace's API keys (never the keys themselves)" })
  @ApiOkResponse({ type: ApiKeyListDto })
  async list(@CurrentWorkspace() workspaceId: string, @Query() _query: NoQueryParams): Promise<ApiKeyListDto> {
    const keys = await this.admin.listKeys(workspaceId);
    return { result: keys.map(toApiKeyDto), result_count: keys.length };
  }

  @Delete(':key_id')
  @ApiOperation({
    operationId: 'api_keys_revoke',
    summary: 'Revoke an API key of this workspace',
    description: 'Effective at once on every gateway replica. A key may revoke itself.',
  })
  @ApiParam({ name: 'key_id', description: 'API key id (not the key itself)', format: 'uuid', example: '9c1f2e0a-7b3d-4c55-9a0e-1d2b3c4d5e6f' })
  @ApiOkResponse({ type: ApiKeyDto, description: 'The revoked key' })
  @ApiNotFoundResponse({ description: 'No such key in this workspace', type: ErrorResponseDto })
  async revoke(@CurrentWorkspace() workspaceId: string, @Param('key_id') keyId: string, @Query() _query: NoQueryParams): Promise<ApiKeyDto> {
    return toApiKeyDto(await this.admin.revokeKey(workspaceId, keyId));
  }
}
