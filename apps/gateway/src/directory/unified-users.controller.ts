import { Controller, Get, Header, Inject, Param, Query, Req } from '@nestjs/common';
import { ApiBadGatewayResponse, ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { requestIdOf } from '@kb4/platform';
import { RequiresApiKey } from '../auth/api-key.guard';
import { CurrentWorkspace } from '../auth/current-workspace.decorator';
import { ErrorResponseDto } from '../http/error-response.dto';
import { GetUserQuery, ListUserGroupsQuery, ListUsersQuery } from './directory-query.dto';
import { DirectoryReadService } from './directory-read.service';
import { UnifiedGroupListDto, UnifiedUserDto, UnifiedUserListDto } from './unified-records.dto';

const JSON_TYPE = 'application/json; charset=utf-8';

/** Read side of /unified/user-directory/users (writes live in the provisioning module). */
@ApiTags('unified-user-directory')
@RequiresApiKey('directory:read')
@ApiBadRequestResponse({ description: 'Invalid or unknown parameter, or a cursor of another query', type: ErrorResponseDto })
@ApiNotFoundResponse({ description: 'Integrated account or user not found in this workspace', type: ErrorResponseDto })
@Controller('unified/user-directory/users')
export class UnifiedUsersController {
  constructor(@Inject(DirectoryReadService) private readonly directory: DirectoryReadService) {}

  @Get()
  @Header('content-type', JSON_TYPE)
  @ApiOperation({
    operationId: 'unified_users_list',
    summary: 'List users',
    description: 'Served from the mirror the poller keeps. Keyset pages: walking with next_cursor never repeats or skips a user, even while the directory changes.',
  })
  @ApiOkResponse({ type: UnifiedUserListDto })
  list(@CurrentWorkspace() workspaceId: string, @Query() query: ListUsersQuery): Promise<string> {
    return this.directory.listUsers(workspaceId, query);
  }

  @Get(':id/groups')
  @Header('content-type', JSON_TYPE)
  @ApiOperation({
    operationId: 'unified_user_groups_list',
    summary: 'List the groups of a user',
    description: 'Served from the mirror, paged like /groups/{id}/members. A user created through SCIM that no sync has seen yet lists no groups.',
  })
  @ApiParam({ name: 'id', description: 'Unified id (KnowBe4 Reporting id) or SCIM id', example: '2147483690' })
  @ApiOkResponse({ type: UnifiedGroupListDto })
  groups(@CurrentWorkspace() workspaceId: string, @Param('id') id: string, @Query() query: ListUserGroupsQuery): Promise<string> {
    return this.directory.listUserGroups(workspaceId, id, query);
  }

  @Get(':id')
  @Header('content-type', JSON_TYPE)
  @ApiOperation({ operationId: 'unified_users_get', summary: 'Get a user by unified (Reporting) id or SCIM id' })
  @ApiParam({ name: 'id', description: 'Unified id (KnowBe4 Reporting id) or SCIM id', example: '2147483690' })
  @ApiOkResponse({ type: UnifiedUserDto })
  @ApiBadGatewayResponse({ description: 'The user is read live from the KnowBe4 Reporting API, which answered 5xx or could not be reached (a remote error)', type: ErrorResponseDto })
  get(@CurrentWorkspace() workspaceId: string, @Param('id') id: string, @Query() query: GetUserQuery, @Req() request: Request): Promise<string> {
    return this.directory.getUser(workspaceId, id, query, requestIdOf(request));
  }
}
