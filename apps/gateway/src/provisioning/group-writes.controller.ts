import { Body, Controller, Delete, Headers, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOperation,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { RequiresApiKey } from '../auth/api-key.guard';
import { CurrentWorkspace } from '../auth/current-workspace.decorator';
import { ErrorResponseDto } from '../http/error-response.dto';
import { OperationDto } from './operation.dto';
import { OperationView, preferredWaitSeconds } from './operation-view';
import { Accepted, ProvisioningService } from './provisioning.service';
import { IDEMPOTENCY_HEADER, PREFER_HEADER } from './user-writes.controller';
import { sendAccepted } from './write-responses';
import { AddGroupMembersRequest, CreateGroupRequest, WriteQuery } from './write-requests.dto';

/** Writes of /unified/user-directory/groups: console groups and their members, over SCIM. */
@ApiTags('unified-user-directory')
@RequiresApiKey()
@ApiHeader(IDEMPOTENCY_HEADER)
@ApiHeader(PREFER_HEADER)
@ApiAcceptedResponse({ description: 'Accepted; poll GET /operations/{id}', type: OperationDto })
@ApiBadRequestResponse({ description: 'Invalid body or unknown field', type: ErrorResponseDto })
@ApiNotFoundResponse({ description: 'Integrated account, group or user not found in this workspace', type: ErrorResponseDto })
@ApiUnprocessableEntityResponse({ description: 'Idempotency-Key reused with a different request', type: ErrorResponseDto })
@Controller('unified/user-directory/groups')
export class GroupWritesController {
  constructor(@Inject(ProvisioningService) private readonly provisioning: ProvisioningService) {}

  @Post()
  @ApiOperation({ operationId: 'unified_groups_create', summary: 'Create a console group (an existing name is adopted)' })
  async create(
    @CurrentWorkspace() workspaceId: string,
    @Query() query: WriteQuery,
    @Body() body: CreateGroupRequest,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Headers('prefer') prefer: string | undefined,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<OperationView> {
    const accepted = await this.provisioning.createGroup(workspaceId, query.integrated_account_id, body, request.path, idempotencyKey);
    return this.answer(workspaceId, accepted, prefer, response);
  }

  @Post(':id/members')
  @ApiOperation({ operationId: 'unified_group_members_add', summary: 'Add users to a group (SCIM PATCH add members)' })
  async addMembers(
    @CurrentWorkspace() workspaceId: string,
    @Param('id') id: string,
    @Query() query: WriteQuery,
    @Body() body: AddGroupMembersRequest,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Headers('prefer') prefer: string | undefined,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<OperationView> {
    const accepted = await this.provisioning.addMembers(workspaceId, query.integrated_account_id, id, body.user_ids, request.path, idempotencyKey);
    return this.answer(workspaceId, accepted, prefer, response);
  }

  @Delete(':id/members/:user_id')
  @ApiOperation({ operationId: 'unified_group_members_remove', summary: 'Remove a user from a group (SCIM PATCH remove member)' })
  async removeMember(
    @CurrentWorkspace() workspaceId: string,
    @Param('id') id: string,
    @Param('user_id') userId: string,
    @Query() query: WriteQuery,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Headers('prefer') prefer: string | undefined,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<OperationView> {
    const accepted = await this.provisioning.removeMember(workspaceId, query.integrated_account_id, id, userId, request.path, idempotencyKey);
    return this.answer(workspaceId, accepted, prefer, response);
  }

  private async answer(workspaceId: string, accepted: Accepted, prefer: string | undefined, response: Response): Promise<OperationView> {
    const wait = preferredWaitSeconds(prefer);
    const operation = wait === undefined ? accepted.operation : await this.provisioning.awaitFinished(workspaceId, accepted.operation, wait);
    return sendAccepted(response, accepted, operation, wait);
  }
}
