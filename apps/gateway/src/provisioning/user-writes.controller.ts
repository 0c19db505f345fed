import { Body, Controller, Delete, Inject, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBody, ApiNotFoundResponse, ApiOperation, ApiParam, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import type { Response } from 'express';
import { WRITE_FIELD_LIMITS } from '@kb4/contracts';
import type { OperationView } from './operation-view';
import { ProvisioningService } from './provisioning.service';
import { UnifiedWrite, UnifiedWriteContext, UnifiedWriteRoutes, USER_ID_PARAM } from './unified-write.decorator';
import { answerWrite } from './write-responses';
import { ErrorResponseDto } from '../http/error-response.dto';
import { CreateUserRequest } from './group-and-membership-requests.dto';
import { UserWriteRequest, WriteQuery } from './write-requests.dto';

const L = WRITE_FIELD_LIMITS;

/** What a user write can hit in KnowBe4, in the operation descriptions of openapi.json. */
const KNOWBE4_WRITE_LIMITS = [
  'KnowBe4 limits a write can hit (refused with 400 rather than dropped silently):',
  '- Email aliases: KnowBe4 SCIM strips them, so an `emails` entry of type `alias` is refused; send the primary email only. An entry without `type` is `work`; the primary one (or `username`) is the KnowBe4 login.',
  '- Phone extensions: SCIM has no attribute for them, so a non-empty `phones[].extension` is refused.',
  '- `employee_start_date`, risk scores, `remote_data` and other read-only fields cannot be written through SCIM and are refused as unknown.',
  `- Lengths: emails up to ${L.email} characters, names and other text up to ${L.text}, phone numbers ${L.phoneNumber}, languages ${L.language} each (at most ${L.languages}); at most ${L.emails} emails, ${L.phones} phones and ${L.organizations} organizations (KnowBe4 stores only the first organization).`,
].join('\n');

const GROUPS_ON_CREATE = [
  `\`groups: [{id}]\` (at most ${L.userGroups}): the user and its memberships are one operation, one command keyed by the user. The provisioner writes the user, then adds it to each group with a SCIM Group PATCH.`,
  '- Unknown groups are refused up front (404), smart groups too (422): KnowBe4 SCIM writes console groups only.',
  '- Partial failure: if KnowBe4 refuses a membership, the operation fails with `error.code` `group_membership_failed` and `error.details` (`user_scim_id`, `groups_joined`, `groups_failed`); the user stays written. Transient KnowBe4 failures retry the whole create; every step is idempotent, so POST /operations/{id}/retry re-applies it without duplicates.',
].join('\n');

/** Writes of /unified/user-directory/users: each answers 202 with the operation that applies it over SCIM. */
@UnifiedWriteRoutes({
  badRequest: 'Invalid body, unknown field, or a field KnowBe4 cannot store',
  notFound: 'Integrated account or user not found in this workspace',
})
@Controller('unified/user-directory/users')
export class UserWritesController {
  constructor(@Inject(ProvisioningService) private readonly provisioning: ProvisioningService) {}

  @Post()
  @ApiOperation({
    operationId: 'unified_users_create',
    summary: 'Create a user (SCIM; an existing userName is adopted and updated), optionally joining groups in the same operation',
    description: `${KNOWBE4_WRITE_LIMITS}\n${GROUPS_ON_CREATE}`,
  })
  @ApiBody({ type: CreateUserRequest })
  @ApiNotFoundResponse({ description: 'Integrated account not found in this workspace, or a group in `groups` this account\'s directory does not know', type: ErrorResponseDto })
  @ApiUnprocessableEntityResponse({ description: 'Idempotency-Key reused with a different request, or a smart group in `groups`', type: ErrorResponseDto })
  async create(
    @UnifiedWrite() write: UnifiedWriteContext,
    @Query() query: WriteQuery,
    @Body() body: CreateUserRequest,
    @Res({ passthrough: true }) response: Response,
  ): Promise<OperationView> {
    const accepted = await this.provisioning.createUser(write.workspaceId, query.integrated_account_id, body, write.path, write.idempotencyKey);
    return answerWrite(this.provisioning, write, accepted, response);
  }

  @Patch(':id')
  @ApiParam(USER_ID_PARAM)
  @ApiOperation({ operationId: 'unified_users_update', summary: 'Update a user; only the fields sent are written, null clears', description: KNOWBE4_WRITE_LIMITS })
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
  @ApiParam(USER_ID_PARAM)
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
