import { Body, Controller, Delete, Inject, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBody, ApiOperation } from '@nestjs/swagger';
import type { Response } from 'express';
import type { OperationView } from './operation-view';
import { ProvisioningService } from './provisioning.service';
import { UnifiedWrite, UnifiedWriteContext, UnifiedWriteRoutes } from './unified-write.decorator';
import { answerWrite } from './write-responses';
import { UserWriteRequest, WriteQuery } from './write-requests.dto';

/** Writes of /unified/user-directory/users: each answers 202 with the operation that applies it over SCIM. */
@UnifiedWriteRoutes({
  badRequest: 'Invalid body, unknown field, or a field KnowBe4 cannot store',
  notFound: 'Integrated account or user not found in this workspace',
})
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
