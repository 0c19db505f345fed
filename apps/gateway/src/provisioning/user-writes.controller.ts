import { Body, Controller, Delete, Inject, Param, Patch, Post, Query, Res } from '@nestjs/common';
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
import type { Response } from 'express';
import { RequiresApiKey } from '../auth/api-key.guard';
import { ErrorResponseDto } from '../http/error-response.dto';
import { OperationDto } from './operation.dto';
import type { OperationView } from './operation-view';
import { ProvisioningService } from './provisioning.service';
import { UnifiedWrite, UnifiedWriteContext } from './unified-write.decorator';
import { answerWrite } from './write-responses';
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
    @UnifiedWrite() write: UnifiedWriteContext,
    @Query() query: WriteQuery,
    @Body() body: UserWriteRequest,
    @Res({ passthrough: true }) response: Response,
  ): Promise<OperationView> {
    const accepted = await this.provisioning.createUser(write.workspaceId, query.integrated_account_id, body, write.path, write.idempotencyKey);
    return answerWrite(this.provisioning, write, accepted, response);
  }

  @Patch(':id')
  @ApiOperation({ operationId: 'unified_users_update', summary: 'Update a user; only the fields sent are written, null clears' })
  @ApiBody({ type: UserWriteRequest })
  async update(
    @UnifiedWrite() write: UnifiedWriteContext,
    @Param('id') id: string,
    @Query() query: WriteQuery,
    @Body() body: UserWriteRequest,
    @Res({ passthrough: true }) response: Response,
  ): Promise<OperationView> {
    const accepted = await this.provisioning.updateUser(write.workspaceId, query.integrated_account_id, id, body, write.path, write.idempotencyKey);
    return answerWrite(this.provisioning, write, accepted, response);
  }

  @Delete(':id')
  @ApiOperation({ operationId: 'unified_users_archive', summary: 'Archive a user (KnowBe4 archives, it never deletes)' })
  async archive(
    @UnifiedWrite() write: UnifiedWriteContext,
    @Param('id') id: string,
    @Query() query: WriteQuery,
    @Res({ passthrough: true }) response: Response,
  ): Promise<OperationView> {
    const accepted = await this.provisioning.archiveUser(write.workspaceId, query.integrated_account_id, id, write.path, write.idempotencyKey);
    return answerWrite(this.provisioning, write, accepted, response);
  }

}
