import { Body, Controller, Delete, Headers, Inject, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
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
import { preferredWaitSeconds, OperationView } from './operation-view';
import { ProvisioningService } from './provisioning.service';
import { sendAccepted } from './write-responses';
import { UserWriteRequest, WriteQuery } from './write-requests.dto';

export const IDEMPOTENCY_HEADER = {
  name: 'Idempotency-Key',
  required: false,
  description: 'The same key with the same request returns the same operation; with another request → 422',
};
export const PREFER_HEADER = { name: 'Prefer', required: false, description: '`wait=N` (N ≤ 30): answer 200 with the finished operation if it finishes within N seconds' };

/** Writes of /unified/user-directory/users: each answers 202 with the operation that applies it over SCIM. */
@ApiTags('unified-user-directory')
@RequiresApiKey()
@ApiHeader(IDEMPOTENCY_HEADER)
@ApiHeader(PREFER_HEADER)
@ApiAcceptedResponse({ description: 'Accepted; poll GET /operations/{id}', type: OperationDto })
@ApiBadRequestResponse({ description: 'Invalid body, unknown field, or a field KnowBe4 cannot store', type: ErrorResponseDto })
@ApiNotFoundResponse({ description: 'Integrated account or user not found in this workspace', type: ErrorResponseDto })
@ApiUnprocessableEntityResponse({ description: 'Idempotency-Key reused with a different request', type: ErrorResponseDto })
@Controller('unified/user-directory/users')
export class UserWritesController {
  constructor(@Inject(ProvisioningService) private readonly provisioning: ProvisioningService) {}

  @Post()
  @ApiOperation({ operationId: 'unified_users_create', summary: 'Create a user (SCIM; an existing userName is adopted and updated)' })
  @ApiBody({ type: UserWriteRequest })
  async create(
    @CurrentWorkspace() workspaceId: string,
    @Query() query: WriteQuery,
    @Body() body: UserWriteRequest,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Headers('prefer') prefer: string | undefined,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<OperationView> {
    const accepted = await this.provisioning.createUser(workspaceId, query.integrated_account_id, body, request.path, idempotencyKey);
    return this.answer(workspaceId, accepted, prefer, response);
  }

  @Patch(':id')
  @ApiOperation({ operationId: 'unified_users_update', summary: 'Update a user; only the fields sent are written, null clears' })
  @ApiBody({ type: UserWriteRequest })
  async update(
    @CurrentWorkspace() workspaceId: string,
    @Param('id') id: string,
    @Query() query: WriteQuery,
    @Body() body: UserWriteRequest,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Headers('prefer') prefer: string | undefined,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<OperationView> {
    const accepted = await this.provisioning.updateUser(workspaceId, query.integrated_account_id, id, body, request.path, idempotencyKey);
    return this.answer(workspaceId, accepted, prefer, response);
  }

  @Delete(':id')
  @ApiOperation({ operationId: 'unified_users_archive', summary: 'Archive a user (KnowBe4 archives, it never deletes)' })
  async archive(
    @CurrentWorkspace() workspaceId: string,
    @Param('id') id: string,
    @Query() query: WriteQuery,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Headers('prefer') prefer: string | undefined,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<OperationView> {
    const accepted = await this.provisioning.archiveUser(workspaceId, query.integrated_account_id, id, request.path, idempotencyKey);
    return this.answer(workspaceId, accepted, prefer, response);
  }

  private async answer(workspaceId: string, accepted: Awaited<ReturnType<ProvisioningService['createUser']>>, prefer: string | undefined, response: Response): Promise<OperationView> {
    const wait = preferredWaitSeconds(prefer);
    const operation = wait === undefined ? accepted.operation : await this.provisioning.awaitFinished(workspaceId, accepted.operation, wait);
    return sendAccepted(response, accepted, operation, wait);
  }
}
