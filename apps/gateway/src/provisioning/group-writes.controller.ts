import { Body, Controller, Delete, Inject, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiConflictResponse, ApiOperation, ApiParam, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import type { Response } from 'express';
import type { OperationView } from './operation-view';
import { ProvisioningService } from './provisioning.service';
import { GROUP_ID_PARAM, MEMBER_ID_PARAM, UnifiedWrite, UnifiedWriteContext, UnifiedWriteRoutes } from './unified-write.decorator';
import { answerWrite } from './write-responses';
import { ErrorResponseDto } from '../http/error-response.dto';
import { UpdateGroupRequest } from './group-and-membership-requests.dto';
import { AddGroupMembersRequest, CreateGroupRequest, WriteQuery } from './write-requests.dto';

const SMART_GROUP_422 = { description: 'Idempotency-Key reused with a different request, or a smart group (KnowBe4 SCIM writes console groups only)', type: ErrorResponseDto };

const GROUP_WRITE_LIMITS = [
  'KnowBe4 limits a group write can hit:',
  '- Only console groups can be written through SCIM; a smart group is refused with 422.',
  '- KnowBe4 groups have no description: `description` may be null or "" (changes nothing); any other value is refused with 400.',
  '- Console group names are unique: a name another group of the account has is refused with 409.',
].join('\n');

/** Writes of /unified/user-directory/groups: console groups and their members, over SCIM. */
@UnifiedWriteRoutes({
  badRequest: 'Invalid body or unknown field',
  notFound: 'Integrated account, group or user not found in this workspace',
})
@Controller('unified/user-directory/groups')
export class GroupWritesController {
  constructor(@Inject(ProvisioningService) private readonly provisioning: ProvisioningService) {}

  @Post()
  @ApiOperation({ operationId: 'unified_groups_create', summary: 'Create a console group (an existing name is adopted)' })
  async create(
    @UnifiedWrite() write: UnifiedWriteContext,
    @Query() query: WriteQuery,
    @Body() body: CreateGroupRequest,
    @Res({ passthrough: true }) response: Response,
  ): Promise<OperationView> {
    const accepted = await this.provisioning.createGroup(write.workspaceId, query.integrated_account_id, body, write.path, write.idempotencyKey);
    return answerWrite(this.provisioning, write, accepted, response);
  }

  @Patch(':id')
  @ApiParam(GROUP_ID_PARAM)
  @ApiOperation({ operationId: 'unified_groups_update', summary: 'Rename a console group (SCIM PATCH replace displayName)', description: GROUP_WRITE_LIMITS })
  @ApiConflictResponse({ description: 'Another group of the account already has this name', type: ErrorResponseDto })
  @ApiUnprocessableEntityResponse(SMART_GROUP_422)
  async update(
    @UnifiedWrite() write: UnifiedWriteContext,
    @Param('id') id: string,
    @Query() query: WriteQuery,
    @Body() body: UpdateGroupRequest,
    @Res({ passthrough: true }) response: Response,
  ): Promise<OperationView> {
    const accepted = await this.provisioning.updateGroup(write.workspaceId, query.integrated_account_id, id, body, write.path, write.idempotencyKey);
    return answerWrite(this.provisioning, write, accepted, response);
  }

  @Delete(':id')
  @ApiParam(GROUP_ID_PARAM)
  @ApiOperation({
    operationId: 'unified_groups_delete',
    summary: 'Delete a console group (SCIM DELETE; its users stay)',
    description: 'Idempotent: a group KnowBe4 no longer has counts as deleted (`scim_response.already_absent`). Once the mirror has dropped it, a new DELETE answers 404; the same Idempotency-Key returns the original operation.',
  })
  @ApiUnprocessableEntityResponse(SMART_GROUP_422)
  async remove(
    @UnifiedWrite() write: UnifiedWriteContext,
    @Param('id') id: string,
    @Query() query: WriteQuery,
    @Res({ passthrough: true }) response: Response,
  ): Promise<OperationView> {
    const accepted = await this.provisioning.deleteGroup(write.workspaceId, query.integrated_account_id, id, write.path, write.idempotencyKey);
    return answerWrite(this.provisioning, write, accepted, response);
  }

  @Post(':id/members')
  @ApiParam(GROUP_ID_PARAM)
  @ApiOperation({ operationId: 'unified_group_members_add', summary: 'Add users to a group (SCIM PATCH add members)' })
  async addMembers(
    @UnifiedWrite() write: UnifiedWriteContext,
    @Param('id') id: string,
    @Query() query: WriteQuery,
    @Body() body: AddGroupMembersRequest,
    @Res({ passthrough: true }) response: Response,
  ): Promise<OperationView> {
    const accepted = await this.provisioning.addMembers(write.workspaceId, query.integrated_account_id, id, body.user_ids, write.path, write.idempotencyKey);
    return answerWrite(this.provisioning, write, accepted, response);
  }

  @Delete(':id/members/:user_id')
  @ApiParam(GROUP_ID_PARAM)
  @ApiParam(MEMBER_ID_PARAM)
  @ApiOperation({ operationId: 'unified_group_members_remove', summary: 'Remove a user from a group (SCIM PATCH remove member)' })
  async removeMember(
    @UnifiedWrite() write: UnifiedWriteContext,
    @Param('id') id: string,
    @Param('user_id') userId: string,
    @Query() query: WriteQuery,
    @Res({ passthrough: true }) response: Response,
  ): Promise<OperationView> {
    const accepted = await this.provisioning.removeMember(write.workspaceId, query.integrated_account_id, id, userId, write.path, write.idempotencyKey);
    return answerWrite(this.provisioning, write, accepted, response);
  }

}
