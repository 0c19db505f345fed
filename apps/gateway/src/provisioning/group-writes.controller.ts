import { Body, Controller, Delete, Inject, Param, Post, Query, Res } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import type { Response } from 'express';
import type { OperationView } from './operation-view';
import { ProvisioningService } from './provisioning.service';
import { UnifiedWrite, UnifiedWriteContext, UnifiedWriteRoutes } from './unified-write.decorator';
import { answerWrite } from './write-responses';
import { AddGroupMembersRequest, CreateGroupRequest, WriteQuery } from './write-requests.dto';

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

  @Post(':id/members')
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
