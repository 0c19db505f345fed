import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RequiresApiKey } from '../auth/api-key.guard';
import { CurrentWorkspace } from '../auth/current-workspace.decorator';
import { ErrorResponseDto } from '../http/error-response.dto';
import {
  AuditCheckpointDto,
  AuditEventPageDto,
  AuditEventsQuery,
  AuditExportQuery,
  AuditVerificationDto,
  AuditVerifyQuery,
  CheckpointVerificationDto,
  CreateCheckpointDto,
  UserHistoryQuery,
} from './audit.dto';
import { AuditService } from './audit.service';

const NOT_FOUND = { description: 'No such account in this workspace', type: ErrorResponseDto };
const BAD_REQUEST = { description: 'A filter or next_cursor is not valid (`details` names the field)', type: ErrorResponseDto };

const CSV_EXAMPLE =
  'id,integrated_account_id,seq,occurred_at,type,user_id,user_email,employee_number,group_id,group_name,actor_type,actor_id,operation_id,sync_run_id,roster_run_id,rule_id,request_id,changes,prev_hash,hash\r\n' +
  '6e5d4c3b-2a19-4f8e-9d7c-6b5a4f3e2d1c,3f7c2a10-9b8e-4d55-a1c2-6e0f4b7d9a21,1,2026-11-28T08:15:02.123Z,user.updated,667542,ada@example.com,E1001,,,api_key,5b0c8e62-3f1d-4a8e-9d7c-2f4f7f0e9a11,0b9e1c9a-6a53-4c1c-8f0e-4a1f2f7c9d10,,,,req-7f3a9c2e,"[{""field"":""department"",""from"":""R&D"",""to"":""Engineering""}]",,9f2c…\r\n';

/**
 * The compliance audit log: every change to a user or group — through this API, a roster run, a mapping rule, or seen
 * in KnowBe4 by a sync — once, in an append-only table hash-chained per account.
 */
@ApiTags('audit')
@RequiresApiKey('directory:read')
@Controller('audit-events')
export class AuditController {
  constructor(@Inject(AuditService) private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({
    operationId: 'audit_events_list',
    summary: 'Audit log entries of an account in chain order, filtered by user, type, actor and time',
    description:
      'Entries are appended in the transaction of the change they record, so one is here exactly when its change was committed. ' +
      'Pages follow the chain (seq): a cursor never skips or repeats an entry, and paging on from the last cursor later finds what was appended since.',
  })
  @ApiOkResponse({ type: AuditEventPageDto })
  @ApiBadRequestResponse(BAD_REQUEST)
  @ApiNotFoundResponse(NOT_FOUND)
  list(@CurrentWorkspace() workspaceId: string, @Query() query: AuditEventsQuery): Promise<AuditEventPageDto> {
    return this.audit.list(workspaceId, query);
  }

  @Get('export')
  @ApiOperation({
    operationId: 'audit_events_export',
    summary: 'Export the filtered entries as CSV or NDJSON, streamed',
    description: 'Streamed from a database cursor at the pace the client reads, so any number of entries is exported in flat memory.',
  })
  @ApiOkResponse({
    description: 'The entries in chain order',
    content: {
      'text/csv': { schema: { type: 'string', example: CSV_EXAMPLE } },
      'application/x-ndjson': { schema: { type: 'string', example: '{"id":"6e5d4c3b-2a19-4f8e-9d7c-6b5a4f3e2d1c","seq":"1","type":"user.updated",…}\n' } },
    },
  })
  @ApiBadRequestResponse(BAD_REQUEST)
  @ApiNotFoundResponse(NOT_FOUND)
  export(@CurrentWorkspace() workspaceId: string, @Query() query: AuditExportQuery, @Res() response: Response): Promise<void> {
    return this.audit.export(workspaceId, query, response);
  }

  @Get('verify')
  @ApiOperation({
    operationId: 'audit_events_verify',
    summary: 'Recompute the account\'s hash chain and name the first entry that does not verify',
  })
  @ApiOkResponse({ type: AuditVerificationDto })
  @ApiBadRequestResponse(BAD_REQUEST)
  @ApiNotFoundResponse(NOT_FOUND)
  verify(@CurrentWorkspace() workspaceId: string, @Query() query: AuditVerifyQuery): Promise<AuditVerificationDto> {
    return this.audit.verify(workspaceId, query.integrated_account_id);
  }

  @Post('checkpoints')
  @HttpCode(201)
  @ApiOperation({
    operationId: 'audit_events_checkpoint',
    summary: 'A signed checkpoint of the account\'s chain head (keep it: it later proves nothing before it was rewritten)',
    description: 'signature = HMAC-SHA256 with the gateway\'s AUDIT_CHECKPOINT_KEY. Present it to POST /audit-events/checkpoints/verify.',
  })
  @ApiBody({ type: CreateCheckpointDto })
  @ApiCreatedResponse({ type: AuditCheckpointDto })
  @ApiBadRequestResponse(BAD_REQUEST)
  @ApiNotFoundResponse(NOT_FOUND)
  checkpoint(@CurrentWorkspace() workspaceId: string, @Body() body: CreateCheckpointDto): Promise<AuditCheckpointDto> {
    return this.audit.createCheckpoint(workspaceId, body.integrated_account_id);
  }

  @Post('checkpoints/verify')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'audit_events_checkpoint_verify',
    summary: 'Check a checkpoint: our signature, the entry at its seq unchanged, and the chain up to it intact',
  })
  @ApiBody({ type: AuditCheckpointDto })
  @ApiOkResponse({ type: CheckpointVerificationDto })
  @ApiBadRequestResponse(BAD_REQUEST)
  @ApiNotFoundResponse(NOT_FOUND)
  verifyCheckpoint(@CurrentWorkspace() workspaceId: string, @Body() body: AuditCheckpointDto): Promise<CheckpointVerificationDto> {
    return this.audit.verifyCheckpoint(workspaceId, body);
  }
}

@ApiTags('unified-user-directory')
@RequiresApiKey('directory:read')
@Controller('unified/user-directory/users')
export class UserHistoryController {
  constructor(@Inject(AuditService) private readonly audit: AuditService) {}

  @Get(':id/history')
  @ApiOperation({
    operationId: 'unified_users_history',
    summary: 'A user\'s audit history in order: created, updated (from/to), archived, reactivated, deleted, memberships',
    description: 'The user may be addressed by its unified (Reporting) id or its SCIM id, and may since have been deleted.',
  })
  @ApiParam({ name: 'id', description: 'Unified user id (or SCIM id)', example: '667542' })
  @ApiOkResponse({ type: AuditEventPageDto })
  @ApiBadRequestResponse(BAD_REQUEST)
  @ApiNotFoundResponse(NOT_FOUND)
  history(@CurrentWorkspace() workspaceId: string, @Param('id') id: string, @Query() query: UserHistoryQuery): Promise<AuditEventPageDto> {
    return this.audit.history(workspaceId, id, query);
  }
}
