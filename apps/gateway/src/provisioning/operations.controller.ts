import { Controller, Get, Headers, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiConflictResponse, ApiHeader, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RequiresApiKey } from '../auth/api-key.guard';
import { CurrentWorkspace } from '../auth/current-workspace.decorator';
import { ErrorResponseDto } from '../http/error-response.dto';
import { OperationDto, OperationListDto } from './operation.dto';
import { OperationView, preferredWaitSeconds } from './operation-view';
import { ProvisioningService } from './provisioning.service';
import { PREFER_HEADER } from './unified-write.decorator';
import { ListOperationsQuery } from './write-requests.dto';

const OPERATION_ID_PARAM = { name: 'id', type: String, format: 'uuid', description: 'The operation id (from a write\'s 202 answer or its Location header)', example: '3f2b8c1e-6a4d-4f0e-9b7a-5c1d2e3f4a5b' };

/** Provisioning operations: status of each write, the failed ones (the DLQ view) and the replay of failed or stuck ones. */
@ApiTags('operations')
@RequiresApiKey('directory:write') // the reads below need only directory:read
@ApiNotFoundResponse({ description: 'Operation not found in this workspace', type: ErrorResponseDto })
@Controller('operations')
export class OperationsController {
  constructor(@Inject(ProvisioningService) private readonly provisioning: ProvisioningService) {}

  @Get()
  @RequiresApiKey('directory:read')
  @ApiOperation({ operationId: 'operations_list', summary: 'List operations, newest first (status=failed is the dead-letter view)' })
  @ApiOkResponse({ type: OperationListDto })
  list(@CurrentWorkspace() workspaceId: string, @Query() query: ListOperationsQuery): Promise<{ result: OperationView[]; next_cursor: string | null; result_count: number }> {
    return this.provisioning.listOperations(workspaceId, query);
  }

  @Get(':id')
  @ApiParam(OPERATION_ID_PARAM)
  @RequiresApiKey('directory:read')
  @ApiOperation({ operationId: 'operations_get', summary: 'Status, attempts, SCIM response summary and resulting record of a write' })
  @ApiHeader(PREFER_HEADER)
  @ApiOkResponse({ type: OperationDto })
  async get(
    @CurrentWorkspace() workspaceId: string,
    @Param('id') id: string,
    @Headers('prefer') prefer: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<OperationView> {
    const wait = preferredWaitSeconds(prefer);
    if (wait !== undefined) response.setHeader('preference-applied', `wait=${wait}`);
    return this.provisioning.getOperation(workspaceId, id, wait);
  }

  @Post(':id/retry')
  @ApiParam(OPERATION_ID_PARAM)
  @HttpCode(202)
  @ApiOperation({ operationId: 'operations_retry', summary: 'Re-publish the command of a failed operation (replay from the DLQ) or of a stuck one (queued or running with no progress for OPERATION_STALL_SECONDS)' })
  @ApiAcceptedResponse({ type: OperationDto })
  @ApiConflictResponse({ description: 'The operation succeeded, or it is progressing (or was re-published within the stall bound)', type: ErrorResponseDto })
  retry(@CurrentWorkspace() workspaceId: string, @Param('id') id: string): Promise<OperationView> {
    return this.provisioning.retry(workspaceId, id);
  }
}
