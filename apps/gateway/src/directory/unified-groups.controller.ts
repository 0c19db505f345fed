import { Controller, Get, Header, Inject, Param, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { RequiresApiKey } from '../auth/api-key.guard';
import { CurrentWorkspace } from '../auth/current-workspace.decorator';
import { ErrorResponseDto } from '../http/error-response.dto';
import { GetGroupQuery, ListGroupMembersQuery, ListGroupsQuery } from './directory-query.dto';
import { DirectoryReadService } from './directory-read.service';
import { UnifiedGroupDto, UnifiedGroupListDto, UnifiedUserListDto } from './unified-records.dto';

const JSON_TYPE = 'application/json; charset=utf-8';

/** Read side of /unified/user-directory/groups (writes live in the provisioning module). */
@ApiTags('unified-user-directory')
@RequiresApiKey('directory:read')
@ApiBadRequestResponse({ description: 'Invalid or unknown parameter, or a cursor of another query', type: ErrorResponseDto })
@ApiNotFoundResponse({ description: 'Integrated account or group not found in this workspace', type: ErrorResponseDto })
@Controller('unified/user-directory/groups')
export class UnifiedGroupsController {
  constructor(@Inject(DirectoryReadService) private readonly directory: DirectoryReadService) {}

  @Get()
  @Header('content-type', JSON_TYPE)
  @ApiOperation({ operationId: 'unified_groups_list', summary: 'List groups' })
  @ApiOkResponse({ type: UnifiedGroupListDto })
  list(@CurrentWorkspace() workspaceId: string, @Query() query: ListGroupsQuery): Promise<string> {
    return this.directory.listGroups(workspaceId, query);
  }

  @Get(':id')
  @Header('content-type', JSON_TYPE)
  @ApiOperation({ operationId: 'unified_groups_get', summary: 'Get a group' })
  @ApiParam({ name: 'id', description: 'Unified id (KnowBe4 Reporting id) or SCIM id', example: '41' })
  @ApiOkResponse({ type: UnifiedGroupDto })
  get(@CurrentWorkspace() workspaceId: string, @Param('id') id: string, @Query() query: GetGroupQuery): Promise<string> {
    return this.directory.getGroup(workspaceId, id, query);
  }

  @Get(':id/members')
  @Header('content-type', JSON_TYPE)
  @ApiOperation({ operationId: 'unified_group_members_list', summary: 'List the users of a group' })
  @ApiParam({ name: 'id', description: 'Unified id (KnowBe4 Reporting id) or SCIM id', example: '41' })
  @ApiOkResponse({ type: UnifiedUserListDto })
  members(@CurrentWorkspace() workspaceId: string, @Param('id') id: string, @Query() query: ListGroupMembersQuery): Promise<string> {
    return this.directory.listGroupMembers(workspaceId, id, query);
  }
}
