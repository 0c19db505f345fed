import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { RequiresApiKey } from '../auth/api-key.guard';
import { CurrentWorkspace } from '../auth/current-workspace.decorator';
import { ErrorResponseDto } from '../http/error-response.dto';
import { ARCHIVING_KEEPS_HISTORY, KNOWBE4_ARCHIVE_ARTICLE, LicensesDto, LicensesQuery } from './licenses.dto';
import { LicensesService } from './licenses.service';

@ApiTags('integrated-accounts')
@RequiresApiKey('directory:read')
@Controller('integrated-accounts')
export class LicensesController {
  constructor(@Inject(LicensesService) private readonly licenses: LicensesService) {}

  @Get(':id/licenses')
  @ApiOperation({
    operationId: 'integrated_accounts_licenses',
    summary: 'Seats and offboarding: seats purchased, used and freed, and the users archived with when and through what',
    description:
      'Answers from data this system keeps, without calling KnowBe4: `seats_purchased` is KnowBe4\'s `number_of_seats` from ' +
      'GET /v1/account as the last completed sync read it (`seats_synced_at`); user counts and archive dates are the mirror\'s ' +
      '(KnowBe4\'s `archived_at`), and the cause of each archive is our operation that did it (`operation_id`, `actor`) or, when ' +
      `a sync saw an archive none of our writes made, \`knowbe4-console\`. ${ARCHIVING_KEEPS_HISTORY} Source: KnowBe4, ` +
      `"Archive or Delete a User" (${KNOWBE4_ARCHIVE_ARTICLE}).`,
  })
  @ApiParam({ name: 'id', description: 'Integrated account id', format: 'uuid', example: '3f7c2a10-9b8e-4d55-a1c2-6e0f4b7d9a21' })
  @ApiOkResponse({ type: LicensesDto })
  @ApiBadRequestResponse({ description: 'limit out of range, or next_cursor not a cursor of this list (`details` names the field)', type: ErrorResponseDto })
  @ApiNotFoundResponse({ description: 'No such account in this workspace', type: ErrorResponseDto })
  licensesOf(@CurrentWorkspace() workspaceId: string, @Param('id') id: string, @Query() query: LicensesQuery): Promise<LicensesDto> {
    return this.licenses.licensesOf(workspaceId, id, query);
  }
}
